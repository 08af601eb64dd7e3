// buildContextShard: builds the contexts (docs/decisions.md, "Contexts") of the accounts of one shard, as of the run's
// cutoff, and stores them. Idempotent: a shard whose marker row exists is done; the contexts and
// the marker commit together. Rows are read per shard, so memory is bounded by the shard size.
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  buildAccountTimeline, contextParamsFromRuleset, usageCountingWindows, usageUnitsOfTotals,
  type AccountContext, type AccountTimeline, type ContextParams, type IntegrationEventRow, type PaymentRow, type RefundRow,
} from '../../domain/context';
import type { Decimal } from 'decimal.js';
import { ExactDecimal } from '../../domain/exactDecimal';
import { parseAmountUnits } from '../../domain/money';
import { pacer } from '../heartbeat';
import { CONTEXT_COPY_COLUMNS, contextCopyLine } from './contextRows';
import { assignShards } from './prepareRun';
import { loadRun } from './runRecord';

export interface ContextShardInput {
  runId: string;
  shard: number;
}

export interface ContextShardResult {
  shard: number;
  accounts: number;
}

type Progress = (accountsDone: number) => void;

export async function buildContextShard(pool: pg.Pool, input: ContextShardInput, progress: Progress): Promise<ContextShardResult> {
  const run = await loadRun(pool, input.runId);
  const done = await pool.query<{ accounts: number }>(
    'SELECT accounts FROM context_shards WHERE context_id = $1 AND shard_count = $2 AND shard = $3',
    [run.contextId, run.shardCount, input.shard],
  );
  if (done.rows[0]) return { shard: input.shard, accounts: done.rows[0].accounts };
  // A run prepared before shard membership was stored (a run in flight across the upgrade).
  await assignShards(pool, run.contextId, run.shardCount);

  const members = await readShardMembers(pool, run.contextId, run.shardCount, input.shard);
  const inputs = await readShardInputs(pool, members, new Date(run.asOf));
  const params = contextParamsFromRuleset(run.ruleset);
  const timelines: AccountTimeline[] = [];
  // Only the accounts with a transaction in the period: no book decides anything for the others.
  const inRunPeriod = (row: { at: number }) => (run.periodFrom === null || row.at >= run.periodFrom) && row.at < run.periodTo;
  const pace = pacer(); // building a thousand timelines is CPU: let heartbeats out
  for (const account of inputs.values()) {
    await pace();
    if (!account.payments.some(inRunPeriod) && !account.refunds.some(inRunPeriod)) continue;
    timelines.push(buildAccountTimeline(account, run.asOf, params));
  }
  progress(0);
  const contexts = await withCountedUsage(pool, members, timelines, params);
  const lines = contexts.map((ctx) => contextCopyLine(run.contextId, input.shard, ctx));

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('CREATE TEMP TABLE stage_contexts (LIKE account_contexts) ON COMMIT DROP');
    await new Promise<void>((resolve, reject) => {
      const copy = client.query(copyFrom(`COPY stage_contexts (${CONTEXT_COPY_COLUMNS}) FROM STDIN`));
      copy.once('finish', resolve);
      copy.once('error', reject);
      copy.end(lines.join(''));
    });
    await client.query('INSERT INTO account_contexts SELECT * FROM stage_contexts ON CONFLICT (context_id, account_id) DO NOTHING');
    await client.query(
      'INSERT INTO context_shards (context_id, shard_count, shard, accounts) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [run.contextId, run.shardCount, input.shard, lines.length],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  progress(lines.length);
  return { shard: input.shard, accounts: lines.length };
}

/** The shard's users and their accounts, as prepareRun assigned them. */
export interface ShardMembers {
  userIds: string[];
  accountOf: Map<string, string>;
  usersOf: Map<string, string[]>;
}

async function readShardMembers(pool: pg.Pool, contextId: string, shardCount: number, shard: number): Promise<ShardMembers> {
  const members = await pool.query<{ user_id: string; account_id: string }>(
    'SELECT user_id, account_id FROM context_shard_users WHERE context_id = $1 AND shard_count = $2 AND shard = $3',
    [contextId, shardCount, shard],
  );
  const usersOf = new Map<string, string[]>();
  for (const r of members.rows) usersOf.set(r.account_id, [...(usersOf.get(r.account_id) ?? []), r.user_id]);
  return {
    userIds: members.rows.map((r) => r.user_id),
    accountOf: new Map(members.rows.map((r) => [r.user_id, r.account_id])),
    usersOf,
  };
}

/** The rows before the cutoff that shape an account's timeline, grouped by account (usage is summed in SQL). */
export interface ShardAccountInput {
  accountId: string;
  payments: PaymentRow[];
  refunds: RefundRow[];
  integrationEvents: IntegrationEventRow[];
}

export async function readShardInputs(pool: pg.Pool, members: ShardMembers, asOf: Date): Promise<Map<string, ShardAccountInput>> {
  // Each input table is read by its user_id index for exactly the shard's users. Joining each
  // table to the shard's users instead made the planner hash the whole usage table once per shard.
  const params = [members.userIds, asOf];
  const [payments, refunds, events] = await Promise.all([
    pool.query(`SELECT p.user_id, p.payment_id, p.amount, p.currency, p.paid_at FROM payments p WHERE p.user_id = ANY($1::text[]) AND p.paid_at < $2`, params),
    pool.query(`SELECT r.user_id, r.refund_id, r.amount, r.currency, r.refunded_at, r.payment_id FROM refunds r WHERE r.user_id = ANY($1::text[]) AND r.refunded_at < $2`, params),
    // Epoch milliseconds (floor, as a Date would truncate them), like every instant in the domain.
    pool.query(`SELECT e.event_id, e.user_id, e.platform, e.action, floor(extract(epoch FROM e.occurred_at) * 1000)::float8 AS at_ms
                  FROM integration_events e WHERE e.user_id = ANY($1::text[]) AND e.occurred_at < $2`, params),
  ]);
  const accounts = new Map<string, ShardAccountInput>();
  const of = (userId: string) => {
    const accountId = members.accountOf.get(userId)!;
    let account = accounts.get(accountId);
    if (!account) accounts.set(accountId, (account = { accountId, payments: [], refunds: [], integrationEvents: [] }));
    return account;
  };
  for (const r of payments.rows) of(r.user_id).payments.push({ id: r.payment_id, amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.paid_at.getTime() });
  for (const r of refunds.rows) of(r.user_id).refunds.push({ id: r.refund_id, amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.refunded_at.getTime(), paymentId: r.payment_id });
  for (const r of events.rows) of(r.user_id).integrationEvents.push({ id: r.event_id, userId: r.user_id, platform: r.platform, action: r.action, at: r.at_ms });
  return accounts;
}

/**
 * Adds each account's counted usage (docs/decisions.md, "Contexts") to its timeline. The usage rows never reach Node:
 * the counting windows go to Postgres, which sums the calls' seconds and the SMS segments that
 * fall inside them per user and platform, exactly (NUMERIC); the users' sums are added up per
 * account here, exactly (ExactDecimal). Reading ~150 rows per account
 * into JS objects was most of the time of building contexts. A row counts when its instant is in
 * [start, end) of a window; the domain compares instants truncated to the millisecond, and as the
 * window bounds are whole milliseconds, comparing the exact instant gives the same answer.
 */
export async function withCountedUsage(pool: pg.Pool, members: ShardMembers, timelines: ReadonlyArray<AccountTimeline>, params: ContextParams): Promise<AccountContext[]> {
  // One row per (user, platform, window): each user's rows are matched on (user_id, platform) in a
  // single join. With the account in between (usage → user → account → windows) the planner
  // joined usage to windows on the platform alone at times: 12M candidate pairs for one shard.
  const windows = { user: [] as string[], platform: [] as string[], start: [] as string[], end: [] as string[] };
  for (const timeline of timelines) {
    for (const [platform, list] of usageCountingWindows(timeline, params)) {
      for (const w of list) {
        for (const userId of members.usersOf.get(timeline.accountId) ?? []) {
          windows.user.push(userId);
          windows.platform.push(platform);
          windows.start.push(new Date(w.startAt).toISOString());
          windows.end.push(new Date(w.endAt).toISOString());
        }
      }
    }
  }
  const sumInWindows = (table: 'calls' | 'sms', at: string, amount: string) => pool.query<{ user_id: string; platform: string; total: string }>(
    `WITH counting AS (
       SELECT user_id, platform, range_agg(tstzrange(start_at, end_at, '[)')) AS windows
         FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS w(user_id, platform, start_at, end_at)
        GROUP BY user_id, platform)
     SELECT u.user_id, u.platform, sum(u.${amount})::text AS total
       FROM ${table} u
       JOIN counting ON counting.user_id = u.user_id AND counting.platform = u.platform
      WHERE u.user_id = ANY($1::text[]) AND counting.windows @> u.${at}
      GROUP BY u.user_id, u.platform`,
    [members.userIds, windows.user, windows.platform, windows.start, windows.end],
  );
  const [calls, sms] = windows.user.length === 0
    ? [{ rows: [] }, { rows: [] }]
    : await Promise.all([sumInWindows('calls', 'started_at', 'duration_seconds'), sumInWindows('sms', 'sent_at', 'segments')]);
  /** account → platform → the exact sum of its users' totals */
  const totalsOf = (rows: ReadonlyArray<{ user_id: string; platform: string; total: string }>) => {
    const byAccount = new Map<string, Map<string, Decimal>>();
    for (const r of rows) {
      const accountId = members.accountOf.get(r.user_id)!;
      let totals = byAccount.get(accountId);
      if (!totals) byAccount.set(accountId, (totals = new Map()));
      totals.set(r.platform, (totals.get(r.platform) ?? new ExactDecimal(0)).plus(r.total));
    }
    return byAccount;
  };
  const callSeconds = totalsOf(calls.rows);
  const smsSegments = totalsOf(sms.rows);
  const none = new Map<string, Decimal>();
  return timelines.map((timeline) => ({
    ...timeline,
    usageUnitsByPlatform: usageUnitsOfTotals(callSeconds.get(timeline.accountId) ?? none, smsSegments.get(timeline.accountId) ?? none, params),
  }));
}
