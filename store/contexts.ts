// The contexts family (docs/decisions.md, "Contexts"): context_user_accounts and
// context_shard_users as prepareRun resolves and assigns them, account_contexts, context_shards
// and context_shard_users as the context shard activity reads and writes them, the input rows it
// reads per shard, the contexts a book shard reads, and the stored contexts at a cutoff that a
// later run can continue.
import type pg from 'pg';
import { parseAmountUnits } from '../domain/money';
import type { IntegrationEventRow, PaymentRow, RefundRow } from '../domain/context';
import { inPeriod, shardOf } from './predicates';
import { copyRows, inTransaction, unlessStoredBefore } from './sql';

type Db = pg.Pool | pg.PoolClient;

/**
 * docs/decisions.md, "Input": every workspace maps its owner and members to the account `owner_id`; an owner always
 * belongs to their own account; a non-owner listed under two different owners is ambiguous.
 */
export async function resolveUserAccounts(db: Db, contextId: string): Promise<void> {
  await db.query(
    `INSERT INTO context_user_accounts (context_id, user_id, account_id, ambiguous)
     SELECT $1, user_id,
            CASE WHEN bool_or(is_owner) THEN user_id WHEN count(DISTINCT owner_id) = 1 THEN min(owner_id) END,
            NOT bool_or(is_owner) AND count(DISTINCT owner_id) > 1
       FROM (SELECT owner_id AS user_id, owner_id, true AS is_owner FROM workspaces
             UNION ALL
             SELECT unnest(member_ids), owner_id, false FROM workspaces) m
      GROUP BY user_id
     ON CONFLICT (context_id, user_id) DO NOTHING`,
    [contextId],
  );
}

/**
 * Stores which users make up each shard (`shardOf` the account, evaluated once per user) for every shard activity to read by index. Shared by the runs with the same context and
 * shard count; done once (the first run inserts, a concurrent one finds the rows or conflicts).
 */
export async function assignShards(db: Db, contextId: string, shardCount: number): Promise<void> {
  const done = await db.query('SELECT 1 FROM context_shard_users WHERE context_id = $1 AND shard_count = $2 LIMIT 1', [contextId, shardCount]);
  if (done.rows.length > 0) return;
  await db.query(
    `INSERT INTO context_shard_users (context_id, shard_count, shard, user_id, account_id)
     SELECT context_id, $2, ${shardOf('account_id', '$2')}, user_id, account_id
       FROM context_user_accounts WHERE context_id = $1 AND account_id IS NOT NULL
     ON CONFLICT DO NOTHING`,
    [contextId, shardCount],
  );
  await db.query('ANALYZE context_shard_users');
}

/** Accounts with at least one payment or refund in the period: the ones that get a context. */
export async function countAccounts(db: Db, contextId: string, from: string | null, to: string): Promise<number> {
  const result = await db.query<{ n: string }>(
    `SELECT count(DISTINCT ua.account_id)::text AS n
       FROM context_user_accounts ua
       JOIN (SELECT user_id FROM payments WHERE ${inPeriod('paid_at', '$2', '$3')}
             UNION SELECT user_id FROM refunds WHERE ${inPeriod('refunded_at', '$2', '$3')}) t USING (user_id)
      WHERE ua.context_id = $1 AND ua.account_id IS NOT NULL`,
    [contextId, from, to],
  );
  return Number(result.rows[0]!.n);
}

/** The stored contexts of one shard, by account: what a book shard decides from. */
export async function readShardContexts<Row>(db: Db, contextId: string, shard: number): Promise<Row[]> {
  const contexts = await db.query(
    'SELECT * FROM account_contexts WHERE context_id = $1 AND shard = $2 ORDER BY account_id',
    [contextId, shard],
  );
  return contexts.rows as Row[];
}

/** The accounts a context shard stored, or null when it is not built yet (its marker row is absent). */
export async function builtShardAccounts(db: Db, contextId: string, shardCount: number, shard: number): Promise<number | null> {
  const done = await db.query<{ accounts: number }>(
    'SELECT accounts FROM context_shards WHERE context_id = $1 AND shard_count = $2 AND shard = $3',
    [contextId, shardCount, shard],
  );
  return done.rows[0]?.accounts ?? null;
}

/** The shard's users and their accounts, as prepareRun assigned them. */
export interface ShardMembers {
  userIds: string[];
  accountOf: Map<string, string>;
  /** account → its users, sorted */
  usersOf: Map<string, string[]>;
}

export async function readShardMembers(db: Db, contextId: string, shardCount: number, shard: number): Promise<ShardMembers> {
  const members = await db.query<{ user_id: string; account_id: string }>(
    'SELECT user_id, account_id FROM context_shard_users WHERE context_id = $1 AND shard_count = $2 AND shard = $3 ORDER BY user_id',
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

/** The rows in [from, asOf) that shape an account's timeline, grouped by account (usage is summed in SQL). */
export interface ShardAccountInput {
  accountId: string;
  payments: PaymentRow[];
  refunds: RefundRow[];
  integrationEvents: IntegrationEventRow[];
}

/** The payments, refunds and integration events of `userIds` in [from, asOf) (from null: all before asOf). */
export async function readTimelineRows(
  db: Db, userIds: ReadonlyArray<string>, accountOf: ReadonlyMap<string, string>, span: { from: Date | null; asOf: Date },
): Promise<Map<string, ShardAccountInput>> {
  const accounts = new Map<string, ShardAccountInput>();
  if (userIds.length === 0) return accounts;
  // Each input table is read by its user_id index for exactly these users. Joining each table to
  // the shard's users instead made the planner hash the whole usage table once per shard.
  const params = [userIds, span.asOf, span.from ?? '-infinity'];
  const [payments, refunds, events] = await Promise.all([
    db.query(`SELECT p.user_id, p.payment_id, p.amount, p.currency, p.paid_at FROM payments p
               WHERE p.user_id = ANY($1::text[]) AND p.paid_at < $2 AND p.paid_at >= $3::timestamptz`, params),
    db.query(`SELECT r.user_id, r.refund_id, r.amount, r.currency, r.refunded_at, r.payment_id FROM refunds r
               WHERE r.user_id = ANY($1::text[]) AND r.refunded_at < $2 AND r.refunded_at >= $3::timestamptz`, params),
    // Epoch milliseconds (floor, as a Date would truncate them), like every instant in the domain.
    db.query(`SELECT e.event_id, e.user_id, e.platform, e.action, floor(extract(epoch FROM e.occurred_at) * 1000)::float8 AS at_ms
                FROM integration_events e WHERE e.user_id = ANY($1::text[]) AND e.occurred_at < $2 AND e.occurred_at >= $3::timestamptz`, params),
  ]);
  const of = (userId: string) => {
    const accountId = accountOf.get(userId)!;
    let account = accounts.get(accountId);
    if (!account) accounts.set(accountId, (account = { accountId, payments: [], refunds: [], integrationEvents: [] }));
    return account;
  };
  for (const r of payments.rows) of(r.user_id).payments.push({ id: r.payment_id, amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.paid_at.getTime() });
  for (const r of refunds.rows) of(r.user_id).refunds.push({ id: r.refund_id, amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.refunded_at.getTime(), paymentId: r.payment_id });
  for (const r of events.rows) of(r.user_id).integrationEvents.push({ id: r.event_id, userId: r.user_id, platform: r.platform, action: r.action, at: r.at_ms });
  return accounts;
}

/** Counting windows, one per (user, platform, window), as parallel arrays of ISO instants. */
export interface UserWindows {
  user: string[];
  platform: string[];
  start: string[];
  end: string[];
}

export interface UserPlatformTotal {
  user_id: string;
  platform: string;
  total: string;
}

/**
 * The call seconds and SMS segments of `userIds` inside their windows, summed per user and platform
 * (NUMERIC, exact). `from` (no window starts before it) drops the older rows before the window
 * test. A row counts when its instant is in [start, end) of a window.
 */
export async function sumUsageInWindows(
  db: Db, userIds: ReadonlyArray<string>, windows: UserWindows, from: Date | null,
): Promise<{ calls: UserPlatformTotal[]; sms: UserPlatformTotal[] }> {
  if (windows.user.length === 0) return { calls: [], sms: [] };
  // One row per (user, platform, window): each user's rows are matched on (user_id, platform) in a
  // single join. With the account in between (usage → user → account → windows) the planner
  // joined usage to windows on the platform alone at times: 12M candidate pairs for one shard.
  const sum = (table: 'calls' | 'sms', at: string, amount: string) => db.query<UserPlatformTotal>(
    `WITH counting AS (
       SELECT user_id, platform, range_agg(tstzrange(start_at, end_at, '[)')) AS windows
         FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[]) AS w(user_id, platform, start_at, end_at)
        GROUP BY user_id, platform)
     SELECT u.user_id, u.platform, sum(u.${amount})::text AS total
       FROM ${table} u
       JOIN counting ON counting.user_id = u.user_id AND counting.platform = u.platform
      WHERE u.user_id = ANY($1::text[]) AND u.${at} >= $6::timestamptz AND counting.windows @> u.${at}
      GROUP BY u.user_id, u.platform`,
    [userIds, windows.user, windows.platform, windows.start, windows.end, from ?? '-infinity'],
  );
  const [calls, sms] = await Promise.all([sum('calls', 'started_at', 'duration_seconds'), sum('sms', 'sent_at', 'segments')]);
  return { calls: calls.rows, sms: sms.rows };
}

/**
 * Stores a shard's contexts (COPY text lines) and its marker row, in one transaction; a context
 * stored before wins. Straight into the table: only when an account's context is there already
 * (two attempts at one shard at once, or the same context under another shard count) do the rows
 * go through a staging table that skips the stored ones. Staging every shard made storing the
 * contexts 12–24 % slower (bench/results.md, "Contexts straight into their table").
 */
export async function writeContextShard(
  pool: pg.Pool, key: { contextId: string; shardCount: number; shard: number }, columns: string, lines: ReadonlyArray<string>,
): Promise<void> {
  await inTransaction(pool, async (client) => {
    await unlessStoredBefore(client, 'contexts_direct', () => copyRows(client, `COPY account_contexts (${columns}) FROM STDIN`, lines), async () => {
      await client.query('CREATE TEMP TABLE stage_contexts (LIKE account_contexts) ON COMMIT DROP');
      await copyRows(client, `COPY stage_contexts (${columns}) FROM STDIN`, lines);
      await client.query('INSERT INTO account_contexts SELECT * FROM stage_contexts ON CONFLICT (context_id, account_id) DO NOTHING');
    });
    await client.query(
      'INSERT INTO context_shards (context_id, shard_count, shard, accounts) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [key.contextId, key.shardCount, key.shard, lines.length],
    );
  });
}

/** A run whose stored contexts are as of a given cutoff: where a later run may continue from. */
export interface ContextAtCutoff {
  contextId: string;
  periodFrom: Date | null;
  periodTo: Date;
  dataVersion: number;
  /** Contexts stored so far (complete shards). */
  accounts: number;
}

/** The contexts of the runs with this cutoff (recorded with a data version), most accounts first. */
export async function contextsAtCutoff(db: Db, asOf: Date): Promise<ContextAtCutoff[]> {
  const found = await db.query<{ context_id: string; period_from: Date | null; period_to: Date; data_version: string; accounts: string }>(
    `SELECT DISTINCT ON (r.context_id) r.context_id, r.period_from, r.period_to, r.data_version::text,
            (SELECT coalesce(sum(s.accounts), 0) FROM context_shards s WHERE s.context_id = r.context_id)::text AS accounts
       FROM attribution_runs r
      WHERE r.as_of = $1 AND r.data_version IS NOT NULL
      ORDER BY r.context_id`,
    [asOf],
  );
  return found.rows
    .map((r) => ({ contextId: r.context_id, periodFrom: r.period_from, periodTo: r.period_to, dataVersion: Number(r.data_version), accounts: Number(r.accounts) }))
    .sort((a, b) => b.accounts - a.accounts || b.dataVersion - a.dataVersion || (a.contextId < b.contextId ? -1 : 1));
}

/** The stored account_contexts rows of these accounts that can be continued (stored with what that needs). */
export async function readContinuableContexts<Row>(db: Db, contextId: string, accountIds: ReadonlyArray<string>): Promise<Row[]> {
  if (accountIds.length === 0) return [];
  // One primary-key lookup per account (OFFSET 0 keeps the planner from flattening the lateral
  // subquery into a join). With `account_id = ANY(…)` or a plain join, the planner, whose
  // statistics of a freshly written context are stale, read every row of the context and
  // filtered them: at 100k accounts, 92k rows for each shard of 1000.
  const rows = await db.query(
    `SELECT c.* FROM unnest($2::text[]) AS a(account_id)
       CROSS JOIN LATERAL (SELECT * FROM account_contexts
                            WHERE context_id = $1 AND account_id = a.account_id AND open_users IS NOT NULL OFFSET 0) c`,
    [contextId, accountIds],
  );
  return rows.rows as Row[];
}
