// buildContextShard: builds the SPEC §4 contexts of the accounts of one shard, as of the run's
// cutoff, and stores them. Idempotent: a shard whose marker row exists is done; the contexts and
// the marker commit together. Rows are read per shard, so memory is bounded by the shard size.
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  buildAccountContext, contextParamsFromRuleset,
  type CallRow, type IntegrationEventRow, type PaymentRow, type RefundRow, type SmsRow,
} from '../../domain/context';
import { parseAmountUnits } from '../../domain/money';
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

  const inputs = await readShardInputs(pool, run.contextId, run.shardCount, input.shard, new Date(run.asOf));
  const params = contextParamsFromRuleset(run.ruleset);
  const lines: string[] = [];
  for (const account of inputs.values()) {
    if (account.payments.length === 0 && account.refunds.length === 0) continue; // nothing to attribute
    lines.push(contextCopyLine(run.contextId, input.shard, buildAccountContext(account, { asOf: run.asOf, params })));
    if (lines.length % 500 === 0) progress(lines.length);
  }

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

/** Every input row of the shard's accounts before the cutoff, grouped by account. */
interface ShardAccountInput {
  accountId: string;
  payments: PaymentRow[];
  refunds: RefundRow[];
  integrationEvents: IntegrationEventRow[];
  calls: CallRow[];
  sms: SmsRow[];
}

async function readShardInputs(pool: pg.Pool, contextId: string, shardCount: number, shard: number, asOf: Date): Promise<Map<string, ShardAccountInput>> {
  // The shard's users first (a few thousand, assigned by prepareRun), then each input table by its
  // user_id index for exactly those users. Joining each table to the shard's users instead made
  // the planner hash the whole usage table once per shard: 50 scans of 14M rows at 100k accounts.
  const members = await pool.query<{ user_id: string; account_id: string }>(
    'SELECT user_id, account_id FROM context_shard_users WHERE context_id = $1 AND shard_count = $2 AND shard = $3',
    [contextId, shardCount, shard],
  );
  const accountOf = new Map(members.rows.map((r) => [r.user_id, r.account_id]));
  const params = [[...accountOf.keys()], asOf];
  // Usage instants come as epoch milliseconds (floor, as a Date would truncate them): parsing
  // ~300k timestamps per shard into Date objects was the largest single cost of reading a shard.
  const ms = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8 AS at_ms`;
  const [payments, refunds, events, calls, sms] = await Promise.all([
    pool.query(`SELECT p.user_id, p.payment_id, p.amount, p.currency, p.paid_at FROM payments p WHERE p.user_id = ANY($1::text[]) AND p.paid_at < $2`, params),
    pool.query(`SELECT r.user_id, r.refund_id, r.amount, r.currency, r.refunded_at, r.payment_id FROM refunds r WHERE r.user_id = ANY($1::text[]) AND r.refunded_at < $2`, params),
    pool.query(`SELECT e.event_id, e.user_id, e.platform, e.action, ${ms('e.occurred_at')} FROM integration_events e WHERE e.user_id = ANY($1::text[]) AND e.occurred_at < $2`, params),
    pool.query(`SELECT c.user_id, c.platform, ${ms('c.started_at')}, c.duration_seconds FROM calls c WHERE c.user_id = ANY($1::text[]) AND c.started_at < $2`, params),
    pool.query(`SELECT s.user_id, s.platform, ${ms('s.sent_at')}, s.segments FROM sms s WHERE s.user_id = ANY($1::text[]) AND s.sent_at < $2`, params),
  ]);
  const accounts = new Map<string, ShardAccountInput>();
  const of = (accountId: string) => {
    let account = accounts.get(accountId);
    if (!account) accounts.set(accountId, (account = { accountId, payments: [], refunds: [], integrationEvents: [], calls: [], sms: [] }));
    return account;
  };
  for (const r of payments.rows) of(accountOf.get(r.user_id)!).payments.push({ id: r.payment_id, amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.paid_at.getTime() });
  for (const r of refunds.rows) of(accountOf.get(r.user_id)!).refunds.push({ id: r.refund_id, amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.refunded_at.getTime(), paymentId: r.payment_id });
  for (const r of events.rows) of(accountOf.get(r.user_id)!).integrationEvents.push({ id: r.event_id, userId: r.user_id, platform: r.platform, action: r.action, at: r.at_ms });
  for (const r of calls.rows) of(accountOf.get(r.user_id)!).calls.push({ userId: r.user_id, platform: r.platform, at: r.at_ms, durationSeconds: new Decimal(r.duration_seconds) });
  for (const r of sms.rows) of(accountOf.get(r.user_id)!).sms.push({ userId: r.user_id, platform: r.platform, at: r.at_ms, segments: r.segments });
  return accounts;
}
