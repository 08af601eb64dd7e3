// Reads back what learnRunModels stored for a run, as the domain's LearnedModels, for the book
// shards: every shard of a run weighs with the same stored numbers.
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import type { LearnedModels } from '../../domain/books';
import { characteristicFunction } from '../../domain/shapley';

export async function readLearnedModels(pool: pg.Pool, runId: string): Promise<LearnedModels | undefined> {
  const learned = await pool.query<{ markov_order: number | null; shapley_max_channels: number | null }>(
    'SELECT markov_order, shapley_max_channels FROM run_learned_models WHERE run_id = $1',
    [runId],
  );
  const row = learned.rows[0];
  if (!row) return undefined;
  const models: { -readonly [K in keyof LearnedModels]: LearnedModels[K] } = {};
  if (row.markov_order !== null) {
    const effects = await pool.query<{ channel: string; removal_effect: string }>(
      'SELECT channel, removal_effect::text FROM run_markov_removal_effects WHERE run_id = $1 ORDER BY channel COLLATE "C"',
      [runId],
    );
    models.removalEffects = new Map(effects.rows.map((r) => [r.channel, new Decimal(r.removal_effect)]));
  }
  if (row.shapley_max_channels !== null) {
    const coalitions = await pool.query<{ channels: string[]; journeys: string; conversions: string }>(
      'SELECT channels, journeys::text, conversions::text FROM run_shapley_coalitions WHERE run_id = $1 ORDER BY coalition COLLATE "C"',
      [runId],
    );
    models.coalitionValues = characteristicFunction(coalitions.rows.map((r) => ({ channels: r.channels, journeys: BigInt(r.journeys), conversions: BigInt(r.conversions) })));
  }
  return models;
}
