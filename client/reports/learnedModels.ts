// What the data-driven books learned in a run, read back for the reports: the two CSV exports
// and the summary's journey counts. The run is the given one, or else the latest run of the model
// version that learned models (as `attribution report` rewrites the latest run's reports).
import type pg from 'pg';
import {
  REMOVAL_EFFECTS_FILE_NAME, renderRemovalEffectsCsv, renderShapleyValuesCsv, SHAPLEY_VALUES_FILE_NAME,
} from '../../reporting/learnedModelsCsv';
import type { LearnedSummary } from '../../reporting/summary';
import { coalitionsOf, learnedModelsOf, removalEffectsOf, shapleyValuesOf } from '../../store/learnedModelReads';

export interface LearnedReports {
  summary: LearnedSummary | null;
  files: Map<string, string>;
}

export async function learnedModelReports(pool: pg.Pool, runId: string | null, modelVersion: string): Promise<LearnedReports> {
  const row = await learnedModelsOf(pool, runId, modelVersion);
  const files = new Map<string, string>();
  if (!row) return { summary: null, files };
  if (row.markovOrder !== null) {
    files.set(REMOVAL_EFFECTS_FILE_NAME, renderRemovalEffectsCsv(await removalEffectsOf(pool, row.runId)));
  }
  if (row.shapleyMaxChannels !== null) {
    const [coalitions, values] = await Promise.all([coalitionsOf(pool, row.runId), shapleyValuesOf(pool, row.runId)]);
    const byCoalition = new Map<string, Map<string, string>>();
    for (const v of values) byCoalition.set(v.coalition, (byCoalition.get(v.coalition) ?? new Map<string, string>()).set(v.channel, v.value));
    files.set(SHAPLEY_VALUES_FILE_NAME, renderShapleyValuesCsv(coalitions.map((c) => ({
      channels: c.channels, journeys: c.journeys, conversions: c.conversions, values: byCoalition.get(c.coalition) ?? new Map(),
    }))));
  }
  return {
    summary: {
      journeys: Number(row.journeys), converting: Number(row.converting), withoutChannels: Number(row.withoutChannels),
      streamed: Number(row.streamedJourneys), markovOrder: row.markovOrder, shapleyMaxChannels: row.shapleyMaxChannels,
      conversionProbability: row.conversionProbability,
    },
    files,
  };
}
