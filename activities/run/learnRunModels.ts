// learnRunModels: the one step per run in which the data-driven books learn from every journey of
// the run's population (docs/data-driven-books.md): Markov transition counts and Shapley coalition
// counts are aggregated in SQL over all journeys (not per shard), solved exactly in the domain,
// and stored with the run; every book shard then reads the same numbers. Idempotent: the row in
// run_learned_models commits with the models and marks the step done.
import type pg from 'pg';
import { learningPlan } from '../../domain/books';
import {
  CONVERSION_STATE, NULL_STATE, removalEffects, START_STATE, stateKey, weightDecimal, WEIGHT_DECIMAL_PLACES, type MarkovTransition,
} from '../../domain/markov';
import { characteristicFunction, coalitionKey, shapleyValues } from '../../domain/shapley';
import { COLLAPSED_TOUCHES, materialiseJourneys } from './journeys';
import { loadRun, type RunRecord } from './runRecord';

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
  const stored = await storedSummary(pool, run.runId);
  if (stored) return stored;
  const plan = learningPlan(run.ruleset, run.books);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await materialiseJourneys(client, run);
    const totals = (await client.query<{ journeys: string; converting: string; without_channels: string; streamed: string }>(
      `SELECT count(*)::text AS journeys, (count(*) FILTER (WHERE j.converted))::text AS converting,
              (count(*) FILTER (WHERE t.account_id IS NULL))::text AS without_channels,
              (count(*) FILTER (WHERE j.streamed))::text AS streamed
         FROM run_journeys j LEFT JOIN (SELECT DISTINCT account_id FROM run_touches) t USING (account_id)`,
    )).rows[0]!;
    const markov = plan.markovOrder === null ? null : await learnMarkov(client, run, plan.markovOrder);
    const coalitions = plan.shapleyMaxChannels === null ? 0 : await learnShapley(client, run, plan.shapleyMaxChannels);
    await client.query(
      `INSERT INTO run_learned_models (run_id, markov_order, shapley_max_channels, journeys, converting, without_channels, streamed_journeys, conversion_probability)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id) DO NOTHING`,
      [run.runId, plan.markovOrder, plan.shapleyMaxChannels, totals.journeys, totals.converting, totals.without_channels, totals.streamed, markov?.conversionProbability ?? null],
    );
    await client.query('COMMIT');
    return { journeys: Number(totals.journeys), converting: Number(totals.converting), markovChannels: markov?.channels ?? 0, shapleyCoalitions: coalitions };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function storedSummary(pool: pg.Pool, runId: string): Promise<LearnedModelsSummary | undefined> {
  const row = (await pool.query<{ journeys: string; converting: string; markov: number; coalitions: number }>(
    `SELECT journeys::text, converting::text,
            (SELECT count(*)::int FROM run_markov_removal_effects WHERE run_id = $1) AS markov,
            (SELECT count(*)::int FROM run_shapley_coalitions WHERE run_id = $1) AS coalitions
       FROM run_learned_models WHERE run_id = $1`,
    [runId],
  )).rows[0];
  return row && { journeys: Number(row.journeys), converting: Number(row.converting), markovChannels: row.markov, shapleyCoalitions: row.coalitions };
}

/** Transition counts of the chain of the given order, aggregated in SQL; removal effects solved exactly. */
async function learnMarkov(client: pg.PoolClient, run: RunRecord, order: number): Promise<{ channels: number; conversionProbability: string }> {
  // `order` is a validated whole number from 1 to 4 (the ruleset schema): safe in the frame clause.
  const transitions = await client.query<{ from_state: string[] | null; to_state: string[] | null; absorb: string | null; count: string }>(
    `WITH c AS (${COLLAPSED_TOUCHES}),
     states AS (
       SELECT account_id, i, array_agg(channel) OVER (PARTITION BY account_id ORDER BY i ROWS BETWEEN ${Math.trunc(order) - 1} PRECEDING AND CURRENT ROW) AS state FROM c),
     steps AS (SELECT account_id, i, state, lead(state) OVER (PARTITION BY account_id ORDER BY i) AS next FROM states)
     SELECT from_state, to_state, absorb, count(*)::text AS count FROM (
       SELECT NULL::text[] AS from_state, state AS to_state, NULL::text AS absorb FROM steps WHERE i = 1
       UNION ALL SELECT state, next, NULL FROM steps WHERE next IS NOT NULL
       UNION ALL SELECT s.state, NULL, CASE WHEN j.converted THEN 'conversion' ELSE 'null' END
                   FROM steps s JOIN run_journeys j USING (account_id) WHERE s.next IS NULL) t
     GROUP BY from_state, to_state, absorb`,
  );
  const chain: MarkovTransition[] = transitions.rows.map((r) => ({
    from: r.from_state === null ? START_STATE : stateKey(r.from_state),
    to: r.to_state !== null ? stateKey(r.to_state) : r.absorb === 'conversion' ? CONVERSION_STATE : NULL_STATE,
    count: BigInt(r.count),
  }));
  const through = await client.query<{ channel: string; conversions: string }>(
    `SELECT t.channel, (count(DISTINCT t.account_id) FILTER (WHERE j.converted))::text AS conversions
       FROM run_touches t JOIN run_journeys j USING (account_id) GROUP BY t.channel`,
  );
  const conversions = new Map(through.rows.map((r) => [r.channel, BigInt(r.conversions)]));
  const solved = removalEffects(chain, conversions);
  const rows = [...solved.effects];
  await client.query(
    `INSERT INTO run_markov_removal_effects (run_id, channel, removal_effect, exact, conversions)
     SELECT $1, * FROM unnest($2::text[], $3::numeric[], $4::text[], $5::bigint[]) ON CONFLICT DO NOTHING`,
    [run.runId, rows.map(([c]) => c), rows.map(([, v]) => weightDecimal(v).toFixed(WEIGHT_DECIMAL_PLACES)), rows.map(([, v]) => v.toString()),
      rows.map(([c]) => (conversions.get(c) ?? 0n).toString())],
  );
  return { channels: rows.length, conversionProbability: solved.conversionProbability.toString() };
}

/** Journeys and conversions per coalition (first `maxChannels` channels), in SQL; each coalition's Shapley values. */
async function learnShapley(client: pg.PoolClient, run: RunRecord, maxChannels: number): Promise<number> {
  const counts = await client.query<{ channels: string[]; journeys: string; conversions: string }>(
    `WITH firsts AS (SELECT account_id, channel, min(at) AS first_at FROM run_touches GROUP BY account_id, channel),
     ranked AS (SELECT account_id, channel, row_number() OVER (PARTITION BY account_id ORDER BY first_at, channel COLLATE "C") AS r FROM firsts),
     coalitions AS (SELECT account_id, array_agg(channel ORDER BY channel COLLATE "C") AS channels FROM ranked WHERE r <= $1 GROUP BY account_id)
     SELECT c.channels, count(*)::text AS journeys, (count(*) FILTER (WHERE j.converted))::text AS conversions
       FROM coalitions c JOIN run_journeys j USING (account_id) GROUP BY c.channels`,
    [maxChannels],
  );
  const v = characteristicFunction(counts.rows.map((r) => ({ channels: r.channels, journeys: BigInt(r.journeys), conversions: BigInt(r.conversions) })));
  const coalitionRows = counts.rows.map((r) => ({ key: coalitionKey(r.channels), ...r }));
  await client.query(
    `INSERT INTO run_shapley_coalitions (run_id, coalition, channels, journeys, conversions)
     SELECT $1, k, ARRAY(SELECT jsonb_array_elements_text(k::jsonb)), j, c FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS u(k, j, c)
     ON CONFLICT DO NOTHING`,
    [run.runId, coalitionRows.map((r) => r.key), coalitionRows.map((r) => r.journeys), coalitionRows.map((r) => r.conversions)],
  );
  const values: Array<{ coalition: string; channel: string; value: string; exact: string }> = [];
  for (const [key, { channels }] of v.values) {
    for (const [channel, phi] of shapleyValues(v, channels)) {
      values.push({ coalition: key, channel, value: weightDecimal(phi).toFixed(WEIGHT_DECIMAL_PLACES), exact: phi.toString() });
    }
  }
  await client.query(
    `INSERT INTO run_shapley_values (run_id, coalition, channel, value, exact)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::numeric[], $5::text[]) ON CONFLICT DO NOTHING`,
    [run.runId, values.map((r) => r.coalition), values.map((r) => r.channel), values.map((r) => r.value), values.map((r) => r.exact)],
  );
  return coalitionRows.length;
}
