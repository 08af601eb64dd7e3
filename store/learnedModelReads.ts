// What learnRunModels stored for a run, read back (store/learnedModels.ts writes it): as the
// domain's LearnedModels for the book shards (every shard of a run weighs with the same stored
// numbers), as rows for the reports, and exactly for the cross-check.
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import type { LearnedModels } from '../domain/books';
import { characteristicFunction } from '../domain/shapley';

type Db = pg.Pool | pg.PoolClient;

export async function readLearnedModels(db: Db, runId: string): Promise<LearnedModels | undefined> {
  const learned = await db.query<{ markov_order: number | null; shapley_max_channels: number | null }>(
    'SELECT markov_order, shapley_max_channels FROM run_learned_models WHERE run_id = $1',
    [runId],
  );
  const row = learned.rows[0];
  if (!row) return undefined;
  const models: { -readonly [K in keyof LearnedModels]: LearnedModels[K] } = {};
  if (row.markov_order !== null) {
    const effects = await db.query<{ channel: string; removal_effect: string }>(
      'SELECT channel, removal_effect::text FROM run_markov_removal_effects WHERE run_id = $1 ORDER BY channel COLLATE "C"',
      [runId],
    );
    models.removalEffects = new Map(effects.rows.map((r) => [r.channel, new Decimal(r.removal_effect)]));
  }
  if (row.shapley_max_channels !== null) {
    const coalitions = await db.query<{ channels: string[]; journeys: string; conversions: string }>(
      'SELECT channels, journeys::text, conversions::text FROM run_shapley_coalitions WHERE run_id = $1 ORDER BY coalition COLLATE "C"',
      [runId],
    );
    models.coalitionValues = characteristicFunction(coalitions.rows.map((r) => ({ channels: r.channels, journeys: BigInt(r.journeys), conversions: BigInt(r.conversions) })));
  }
  return models;
}

export interface LearnedModelRows {
  runId: string;
  markovOrder: number | null;
  shapleyMaxChannels: number | null;
  journeys: string;
  converting: string;
  withoutChannels: string;
  streamedJourneys: string;
  conversionProbability: string | null;
}

/** The learned models of a run, or (runId null) of the latest run of the model version that learned any. */
export async function learnedModelsOf(db: Db, runId: string | null, modelVersion: string): Promise<LearnedModelRows | undefined> {
  const found = await db.query<{
    run_id: string; markov_order: number | null; shapley_max_channels: number | null; journeys: string; converting: string;
    without_channels: string; streamed_journeys: string; conversion_probability: string | null;
  }>(
    `SELECT m.run_id, m.markov_order, m.shapley_max_channels, m.journeys::text, m.converting::text, m.without_channels::text,
            m.streamed_journeys::text, m.conversion_probability
       FROM run_learned_models m JOIN attribution_runs r USING (run_id)
      WHERE ($1::text IS NULL OR m.run_id = $1) AND r.model_version = $2
      ORDER BY m.learned_at DESC, m.run_id LIMIT 1`,
    [runId, modelVersion],
  );
  const r = found.rows[0];
  return r && {
    runId: r.run_id, markovOrder: r.markov_order, shapleyMaxChannels: r.shapley_max_channels, journeys: r.journeys, converting: r.converting,
    withoutChannels: r.without_channels, streamedJourneys: r.streamed_journeys, conversionProbability: r.conversion_probability,
  };
}

/** A run's removal effects (rounded to the stored scale, and exact) and each channel's conversions, in channel order. */
export async function removalEffectsOf(db: Db, runId: string): Promise<Array<{ channel: string; removalEffect: string; exact: string; conversions: string }>> {
  const r = await db.query<{ channel: string; removal_effect: string; exact: string; conversions: string }>(
    'SELECT channel, removal_effect::text, exact, conversions::text FROM run_markov_removal_effects WHERE run_id = $1 ORDER BY channel',
    [runId],
  );
  return r.rows.map((x) => ({ channel: x.channel, removalEffect: x.removal_effect, exact: x.exact, conversions: x.conversions }));
}

export async function coalitionsOf(db: Db, runId: string): Promise<Array<{ coalition: string; channels: string[]; journeys: string; conversions: string }>> {
  const r = await db.query<{ coalition: string; channels: string[]; journeys: string; conversions: string }>(
    'SELECT coalition, channels, journeys::text, conversions::text FROM run_shapley_coalitions WHERE run_id = $1',
    [runId],
  );
  return r.rows;
}

/** Each coalition's Shapley values, rounded and exact, in (coalition, channel) order. */
export async function shapleyValuesOf(db: Db, runId: string): Promise<Array<{ coalition: string; channel: string; value: string; exact: string }>> {
  const r = await db.query<{ coalition: string; channel: string; value: string; exact: string }>(
    'SELECT coalition, channel, value::text, exact FROM run_shapley_values WHERE run_id = $1 ORDER BY coalition, channel',
    [runId],
  );
  return r.rows;
}
