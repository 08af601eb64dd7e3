// The learned models' store (docs/data-driven-books.md): every statement on run_learned_models,
// run_markov_removal_effects, run_shapley_coalitions and run_shapley_values, and the aggregates
// over a run's journeys (the temporary tables run_touches and run_journeys that
// store/runJourneys.ts materialises in the caller's transaction). Written once per run:
// the run_learned_models row commits with the models and marks the step done.
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

export interface LearnedTotals {
  journeys: string;
  converting: string;
  withoutChannels: string;
  streamed: string;
}

/** Journeys, converting ones, ones without any channel, and streamed ones, of the materialised journeys. */
export async function journeyTotals(client: pg.PoolClient): Promise<LearnedTotals> {
  const r = (await client.query<{ journeys: string; converting: string; without_channels: string; streamed: string }>(
    `SELECT count(*)::text AS journeys, (count(*) FILTER (WHERE j.converted))::text AS converting,
            (count(*) FILTER (WHERE t.account_id IS NULL))::text AS without_channels,
            (count(*) FILTER (WHERE j.streamed))::text AS streamed
       FROM run_journeys j LEFT JOIN (SELECT DISTINCT account_id FROM run_touches) t USING (account_id)`,
  )).rows[0]!;
  return { journeys: r.journeys, converting: r.converting, withoutChannels: r.without_channels, streamed: r.streamed };
}

/**
 * Touches in journey order (instant, then channel and user in code order, as the domain sorts
 * paths), consecutive repeats of a channel collapsed, numbered from 1 per journey.
 */
const COLLAPSED_TOUCHES = `
  SELECT account_id, channel, row_number() OVER (PARTITION BY account_id ORDER BY at, channel COLLATE "C", tiebreak COLLATE "C") AS i
    FROM (SELECT account_id, at, channel, tiebreak,
                 lag(channel) OVER (PARTITION BY account_id ORDER BY at, channel COLLATE "C", tiebreak COLLATE "C") AS previous
            FROM run_touches) t
   WHERE previous IS DISTINCT FROM channel`;

/** A transition count of the chain: from null is the start; to null ends in `absorb` ('conversion' or 'null'). */
export interface TransitionCount {
  fromState: string[] | null;
  toState: string[] | null;
  absorb: string | null;
  count: string;
}

/** Transition counts of the Markov chain of the given order (a whole number from 1 to 4) over the journeys. */
export async function markovTransitionCounts(client: pg.PoolClient, order: number): Promise<TransitionCount[]> {
  // `order` is validated by the ruleset schema: safe in the frame clause.
  const r = await client.query<{ from_state: string[] | null; to_state: string[] | null; absorb: string | null; count: string }>(
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
  return r.rows.map((x) => ({ fromState: x.from_state, toState: x.to_state, absorb: x.absorb, count: x.count }));
}

/** Per channel, the converting journeys that touch it. */
export async function conversionsThroughChannels(client: pg.PoolClient): Promise<Map<string, bigint>> {
  const r = await client.query<{ channel: string; conversions: string }>(
    `SELECT t.channel, (count(DISTINCT t.account_id) FILTER (WHERE j.converted))::text AS conversions
       FROM run_touches t JOIN run_journeys j USING (account_id) GROUP BY t.channel`,
  );
  return new Map(r.rows.map((x) => [x.channel, BigInt(x.conversions)]));
}

/** Journeys and conversions per coalition: a journey's first `maxChannels` distinct channels, sorted. */
export async function coalitionCounts(client: pg.PoolClient, maxChannels: number): Promise<Array<{ channels: string[]; journeys: string; conversions: string }>> {
  const r = await client.query<{ channels: string[]; journeys: string; conversions: string }>(
    `WITH firsts AS (SELECT account_id, channel, min(at) AS first_at FROM run_touches GROUP BY account_id, channel),
     ranked AS (SELECT account_id, channel, row_number() OVER (PARTITION BY account_id ORDER BY first_at, channel COLLATE "C") AS r FROM firsts),
     coalitions AS (SELECT account_id, array_agg(channel ORDER BY channel COLLATE "C") AS channels FROM ranked WHERE r <= $1 GROUP BY account_id)
     SELECT c.channels, count(*)::text AS journeys, (count(*) FILTER (WHERE j.converted))::text AS conversions
       FROM coalitions c JOIN run_journeys j USING (account_id) GROUP BY c.channels`,
    [maxChannels],
  );
  return r.rows;
}

export interface RemovalEffectRow {
  channel: string;
  /** Rounded to the stored scale, and the exact rational as text. */
  removalEffect: string;
  exact: string;
  conversions: string;
}

export async function recordRemovalEffects(client: pg.PoolClient, runId: string, rows: ReadonlyArray<RemovalEffectRow>): Promise<void> {
  await client.query(
    `INSERT INTO run_markov_removal_effects (run_id, channel, removal_effect, exact, conversions)
     SELECT $1, * FROM unnest($2::text[], $3::numeric[], $4::text[], $5::bigint[]) ON CONFLICT DO NOTHING`,
    [runId, rows.map((r) => r.channel), rows.map((r) => r.removalEffect), rows.map((r) => r.exact), rows.map((r) => r.conversions)],
  );
}

/** Coalitions under their key (the JSON array of their channels). */
export async function recordCoalitions(client: pg.PoolClient, runId: string, rows: ReadonlyArray<{ key: string; journeys: string; conversions: string }>): Promise<void> {
  await client.query(
    `INSERT INTO run_shapley_coalitions (run_id, coalition, channels, journeys, conversions)
     SELECT $1, k, ARRAY(SELECT jsonb_array_elements_text(k::jsonb)), j, c FROM unnest($2::text[], $3::bigint[], $4::bigint[]) AS u(k, j, c)
     ON CONFLICT DO NOTHING`,
    [runId, rows.map((r) => r.key), rows.map((r) => r.journeys), rows.map((r) => r.conversions)],
  );
}

export async function recordShapleyValues(client: pg.PoolClient, runId: string, values: ReadonlyArray<{ coalition: string; channel: string; value: string; exact: string }>): Promise<void> {
  await client.query(
    `INSERT INTO run_shapley_values (run_id, coalition, channel, value, exact)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::numeric[], $5::text[]) ON CONFLICT DO NOTHING`,
    [runId, values.map((r) => r.coalition), values.map((r) => r.channel), values.map((r) => r.value), values.map((r) => r.exact)],
  );
}

export interface LearnedRun {
  markovOrder: number | null;
  shapleyMaxChannels: number | null;
  totals: LearnedTotals;
  conversionProbability: string | null;
}

/** The step's row: written last, in the models' transaction, it marks them complete. */
export async function recordLearnedRun(client: pg.PoolClient, runId: string, l: LearnedRun): Promise<void> {
  await client.query(
    `INSERT INTO run_learned_models (run_id, markov_order, shapley_max_channels, journeys, converting, without_channels, streamed_journeys, conversion_probability)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id) DO NOTHING`,
    [runId, l.markovOrder, l.shapleyMaxChannels, l.totals.journeys, l.totals.converting, l.totals.withoutChannels, l.totals.streamed, l.conversionProbability],
  );
}

/** What a run learned, when it has: journeys, converting journeys, removal effects and coalitions stored. */
export async function storedLearnedCounts(db: Db, runId: string): Promise<{ journeys: number; converting: number; markovChannels: number; shapleyCoalitions: number } | undefined> {
  const row = (await db.query<{ journeys: string; converting: string; markov: number; coalitions: number }>(
    `SELECT journeys::text, converting::text,
            (SELECT count(*)::int FROM run_markov_removal_effects WHERE run_id = $1) AS markov,
            (SELECT count(*)::int FROM run_shapley_coalitions WHERE run_id = $1) AS coalitions
       FROM run_learned_models WHERE run_id = $1`,
    [runId],
  )).rows[0];
  return row && { journeys: Number(row.journeys), converting: Number(row.converting), markovChannels: row.markov, shapleyCoalitions: row.coalitions };
}
