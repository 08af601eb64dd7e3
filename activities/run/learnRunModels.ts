// learnRunModels: the one step per run in which the data-driven books learn from every journey of
// the run's population (docs/data-driven-books.md): Markov transition counts and Shapley coalition
// counts are aggregated in SQL over all journeys (not per shard, store/learnedModels.ts), solved
// exactly in the domain, and stored with the run; every book shard then reads the same numbers.
// Idempotent: the row in run_learned_models commits with the models and marks the step done.
import type pg from 'pg';
import { learningPlan } from '../../domain/books';
import {
  CONVERSION_STATE, NULL_STATE, removalEffects, START_STATE, stateKey, weightDecimal, WEIGHT_DECIMAL_PLACES, type MarkovTransition,
} from '../../domain/markov';
import { characteristicFunction, coalitionKey, shapleyValues } from '../../domain/shapley';
import {
  coalitionCounts, conversionsThroughChannels, journeyTotals, markovTransitionCounts, recordCoalitions, recordLearnedRun,
  recordRemovalEffects, recordShapleyValues, storedLearnedCounts,
} from '../../store/learnedModels';
import { loadRun } from '../../store/runs';
import { inTransaction } from '../../store/sql';
import { materialiseJourneys } from '../../store/runJourneys';

export interface LearnRunModelsInput {
  runId: string;
}

export interface LearnedModelsSummary {
  journeys: number;
  converting: number;
  markovChannels: number;
  shapleyCoalitions: number;
}

export async function learnRunModels(pool: pg.Pool, input: LearnRunModelsInput): Promise<LearnedModelsSummary> {
  const run = await loadRun(pool, input.runId);
  const stored = await storedLearnedCounts(pool, run.runId);
  if (stored) return stored;
  const plan = learningPlan(run.ruleset, run.books);
  return inTransaction(pool, async (client) => {
    await materialiseJourneys(client, run);
    const totals = await journeyTotals(client);
    const markov = plan.markovOrder === null ? null : await learnMarkov(client, run.runId, plan.markovOrder);
    const coalitions = plan.shapleyMaxChannels === null ? 0 : await learnShapley(client, run.runId, plan.shapleyMaxChannels);
    await recordLearnedRun(client, run.runId, {
      markovOrder: plan.markovOrder, shapleyMaxChannels: plan.shapleyMaxChannels, totals, conversionProbability: markov?.conversionProbability ?? null,
    });
    return { journeys: Number(totals.journeys), converting: Number(totals.converting), markovChannels: markov?.channels ?? 0, shapleyCoalitions: coalitions };
  });
}

/** The chain's transition counts from the journeys; removal effects solved exactly and stored. */
async function learnMarkov(client: pg.PoolClient, runId: string, order: number): Promise<{ channels: number; conversionProbability: string }> {
  const chain: MarkovTransition[] = (await markovTransitionCounts(client, order)).map((r) => ({
    from: r.fromState === null ? START_STATE : stateKey(r.fromState),
    to: r.toState !== null ? stateKey(r.toState) : r.absorb === 'conversion' ? CONVERSION_STATE : NULL_STATE,
    count: BigInt(r.count),
  }));
  const conversions = await conversionsThroughChannels(client);
  const solved = removalEffects(chain, conversions);
  const rows = [...solved.effects].map(([channel, v]) => ({
    channel, removalEffect: weightDecimal(v).toFixed(WEIGHT_DECIMAL_PLACES), exact: v.toString(), conversions: (conversions.get(channel) ?? 0n).toString(),
  }));
  await recordRemovalEffects(client, runId, rows);
  return { channels: rows.length, conversionProbability: solved.conversionProbability.toString() };
}

/** Journeys and conversions per coalition (first `maxChannels` channels); each coalition's Shapley values, stored. */
async function learnShapley(client: pg.PoolClient, runId: string, maxChannels: number): Promise<number> {
  const counts = await coalitionCounts(client, maxChannels);
  const v = characteristicFunction(counts.map((r) => ({ channels: r.channels, journeys: BigInt(r.journeys), conversions: BigInt(r.conversions) })));
  const coalitionRows = counts.map((r) => ({ key: coalitionKey(r.channels), ...r }));
  await recordCoalitions(client, runId, coalitionRows);
  const values: Array<{ coalition: string; channel: string; value: string; exact: string }> = [];
  for (const [key, { channels }] of v.values) {
    for (const [channel, phi] of shapleyValues(v, channels)) {
      values.push({ coalition: key, channel, value: weightDecimal(phi).toFixed(WEIGHT_DECIMAL_PLACES), exact: phi.toString() });
    }
  }
  await recordShapleyValues(client, runId, values);
  return coalitionRows.length;
}
