// What the data-driven books learned in a run, read back for the reports: the two CSV exports
// and the summary's journey counts. The run is the given one, or else the latest run of the model
// version that learned models (as `attribution report` rewrites the latest run's reports).
import type pg from 'pg';
import {
  REMOVAL_EFFECTS_FILE_NAME, renderRemovalEffectsCsv, renderShapleyValuesCsv, SHAPLEY_VALUES_FILE_NAME,
} from '../../reporting/learnedModelsCsv';
import type { LearnedSummary } from '../../reporting/summary';

export interface LearnedReports {
  summary: LearnedSummary | null;
  files: Map<string, string>;
}

export async function learnedModelReports(pool: pg.Pool, runId: string | null, modelVersion: string): Promise<LearnedReports> {
  const found = await pool.query<{
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
  const row = found.rows[0];
  const files = new Map<string, string>();
  if (!row) return { summary: null, files };
  if (row.markov_order !== null) {
    const effects = await pool.query<{ channel: string; removal_effect: string; conversions: string }>(
      'SELECT channel, removal_effect::text, conversions::text FROM run_markov_removal_effects WHERE run_id = $1',
      [row.run_id],
    );
    files.set(REMOVAL_EFFECTS_FILE_NAME, renderRemovalEffectsCsv(effects.rows.map((r) => ({ channel: r.channel, removalEffect: r.removal_effect, conversions: r.conversions }))));
  }
  if (row.shapley_max_channels !== null) {
    const coalitions = await pool.query<{ coalition: string; channels: string[]; journeys: string; conversions: string }>(
      'SELECT coalition, channels, journeys::text, conversions::text FROM run_shapley_coalitions WHERE run_id = $1',
      [row.run_id],
    );
    const values = await pool.query<{ coalition: string; channel: string; value: string }>(
      'SELECT coalition, channel, value::text FROM run_shapley_values WHERE run_id = $1',
      [row.run_id],
    );
    const byCoalition = new Map<string, Map<string, string>>();
    for (const v of values.rows) byCoalition.set(v.coalition, (byCoalition.get(v.coalition) ?? new Map<string, string>()).set(v.channel, v.value));
    files.set(SHAPLEY_VALUES_FILE_NAME, renderShapleyValuesCsv(coalitions.rows.map((c) => ({
      channels: c.channels, journeys: c.journeys, conversions: c.conversions, values: byCoalition.get(c.coalition) ?? new Map(),
    }))));
  }
  return {
    summary: {
      journeys: Number(row.journeys), converting: Number(row.converting), withoutChannels: Number(row.without_channels),
      streamed: Number(row.streamed_journeys), markovOrder: row.markov_order, shapleyMaxChannels: row.shapley_max_channels,
      conversionProbability: row.conversion_probability,
    },
    files,
  };
}
