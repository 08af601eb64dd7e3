// The ledger's store (docs/ledger.md): every statement that writes the ledger's raw tables
// (ledger_keys, ledger_channels, ledger_transactions, ledger_entry_rows, ledger_line_rows) and
// ledger_drift. Readers use the views ledger_entries and ledger_lines.
//
// Writes happen within the caller's transaction. A fresh run COPYs its decisions straight into
// the raw tables in key order; an existing key (a re-run, a retry racing an earlier attempt, late
// data) raises a unique violation, the savepoint is rolled back, and the staging path inserts
// with ON CONFLICT DO NOTHING, keeps every stored row, writes lines only for the entries it
// inserted (a stored decision is never mixed with a recomputed one) and records drift.
import type pg from 'pg';
import { copyTextField } from '../activities/ingest/copyText';
import type { Decision } from '../domain/decisions';
import { copyRows } from './sql';

type Db = pg.Pool | pg.PoolClient;

export interface LedgerDecision extends Decision {
  accountId: string | null;
  userId: string;
  ruleName: string | null;
}

/** Where decisions go: every ledger key starts with (model version, basis, book). */
export interface LedgerKey {
  runId: string;
  modelVersion: string;
  basis: string;
  book: string;
}

/** When one ledger write started and how long it took: for the bench, never stored. */
export interface LedgerWriteTiming {
  startedAt: number;
  seconds: number;
  lines: number;
}

export interface LedgerWriteResult {
  entriesWritten: number;
  linesWritten: number;
  drift: number;
  ledgerWrite: LedgerWriteTiming;
}

const ENTRY_COLUMNS = 'tx_id, amount_units, event_at, currency, status, reason, account_id, user_id, rule_name';

/** Writes a shard's decisions under `key`, in the caller's transaction; see the header. */
export async function writeDecisions(client: pg.PoolClient, key: LedgerKey, decisions: ReadonlyArray<LedgerDecision>): Promise<LedgerWriteResult> {
  const startedAt = Date.now();
  const keyId = await keyIdOf(client, key);
  const channelIds = await channelIdsOf(client, [...new Set(decisions.flatMap((d) => d.lines.map((l) => l.channel)))]);
  const rows = await withTransactionIds(client, decisions);
  await client.query('SAVEPOINT ledger_direct');
  let written: Omit<LedgerWriteResult, 'ledgerWrite'>;
  try {
    written = await copyStraight(client, key, keyId, channelIds, rows);
    await client.query('RELEASE SAVEPOINT ledger_direct');
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    await client.query('ROLLBACK TO SAVEPOINT ledger_direct');
    written = await writeThroughStaging(client, key, keyId, channelIds, rows);
  }
  return { ...written, ledgerWrite: { startedAt, seconds: (Date.now() - startedAt) / 1000, lines: written.linesWritten } };
}

/** Creates the keys of a run's books up front, so that its concurrent first writers do not wait on each other's insert. */
export async function registerKeys(db: Db, modelVersion: string, basis: string, books: ReadonlyArray<string>): Promise<void> {
  await db.query(
    `INSERT INTO ledger_keys (model_version, basis, book) SELECT $1, $2, b FROM unnest($3::text[]) b ORDER BY b ON CONFLICT DO NOTHING`,
    [modelVersion, basis, books],
  );
}

async function keyIdOf(db: Db, key: LedgerKey): Promise<number> {
  const r = await db.query<{ id: number }>('SELECT ledger_key_id($1, $2, $3) AS id', [key.modelVersion, key.basis, key.book]);
  return r.rows[0]!.id;
}

async function channelIdsOf(db: Db, channels: string[]): Promise<Map<string, number>> {
  if (channels.length === 0) return new Map();
  // Sorted, so that two writers adding the same new channels take their locks in the same order.
  const r = await db.query<{ channel: string; id: number }>(
    'SELECT c AS channel, ledger_channel_id(c) AS id FROM unnest($1::text[]) c ORDER BY c', [channels]);
  return new Map(r.rows.map((row) => [row.channel, row.id]));
}

/** A decision with its transaction's surrogate. */
interface KeyedDecision {
  txId: string;
  decision: LedgerDecision;
}

/**
 * Numbers the transactions that have no surrogate yet in event-time order (so that keys follow
 * the write order), and returns the decisions with their surrogates, in surrogate order.
 */
async function withTransactionIds(db: Db, decisions: ReadonlyArray<LedgerDecision>): Promise<KeyedDecision[]> {
  const ordered = [...decisions].sort((a, b) => a.at - b.at || compare(a.transactionId, b.transactionId) || compare(a.kind, b.kind));
  const params = [ordered.map((d) => d.kind), ordered.map((d) => d.transactionId)];
  await db.query(
    `INSERT INTO ledger_transactions (kind, transaction_id)
     SELECT w.kind, w.id FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(kind, id, ord)
      WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.transaction_id = w.id AND t.kind = w.kind)
      ORDER BY w.ord
     ON CONFLICT DO NOTHING`,
    params,
  );
  const ids = await db.query<{ ord: string; tx_id: string }>(
    `SELECT w.ord::text, t.tx_id::text FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(kind, id, ord)
       JOIN ledger_transactions t ON t.transaction_id = w.id AND t.kind = w.kind`,
    params,
  );
  if (ids.rows.length !== ordered.length) throw new Error(`ledger: ${ordered.length} decisions but ${ids.rows.length} transaction ids; a shard decided a transaction twice`);
  const keyed = ids.rows.map((r) => ({ txId: r.tx_id, decision: ordered[Number(r.ord) - 1]! }));
  return keyed.sort((a, b) => Number(a.txId) - Number(b.txId));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const text = (v: string | null) => (v === null ? '\\N' : copyTextField(v));

/** Entry columns after the key (ENTRY_COLUMNS order), and the decision's line rows after the key. */
function entryFields(k: KeyedDecision): string {
  const d = k.decision;
  return `${k.txId}\t${d.amountUnits}\t${new Date(d.at).toISOString()}\t${d.currency}\t${d.status}\t${text(d.reason)}\t${text(d.accountId)}\t${text(d.userId)}\t${text(d.ruleName)}`;
}

function lineFields(k: KeyedDecision, channelIds: Map<string, number>): string[] {
  return k.decision.lines
    .map((l) => [channelIds.get(l.channel)!, l.amountUnits] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([channelId, units]) => `${channelId}\t${k.txId}\t${units}`);
}

async function copyStraight(client: pg.PoolClient, key: LedgerKey, keyId: number, channelIds: Map<string, number>, rows: KeyedDecision[]) {
  const run = copyTextField(key.runId);
  const entries: string[] = [];
  const lines: string[] = [];
  for (const k of rows) {
    entries.push(`${keyId}\t${entryFields(k)}\t${run}\n`);
    if (k.decision.status !== 'attributed') continue;
    for (const line of lineFields(k, channelIds)) lines.push(`${keyId}\t${line}\n`);
  }
  await copyRows(client, `COPY ledger_entry_rows (key_id, ${ENTRY_COLUMNS}, run_id) FROM STDIN`, entries);
  await copyRows(client, 'COPY ledger_line_rows (key_id, channel_id, tx_id, amount_units) FROM STDIN', lines);
  return { entriesWritten: entries.length, linesWritten: lines.length, drift: 0 };
}

async function writeThroughStaging(client: pg.PoolClient, key: LedgerKey, keyId: number, channelIds: Map<string, number>, rows: KeyedDecision[]) {
  await client.query(`CREATE TEMP TABLE stage_entries (tx_id bigint, amount_units bigint, event_at timestamptz, currency char(3), status text,
    reason text, account_id text, user_id text, rule_name text) ON COMMIT DROP`);
  await client.query('CREATE TEMP TABLE stage_lines (channel_id smallint, tx_id bigint, amount_units bigint) ON COMMIT DROP');
  await copyRows(client, `COPY stage_entries (${ENTRY_COLUMNS}) FROM STDIN`, rows.map((k) => `${entryFields(k)}\n`));
  await copyRows(client, 'COPY stage_lines (channel_id, tx_id, amount_units) FROM STDIN', rows.flatMap((k) => lineFields(k, channelIds).map((l) => `${l}\n`)));
  // Temp tables have no statistics until analysed; without them the planner scans the ledger.
  await client.query('ANALYZE stage_entries, stage_lines');

  // The inserted keys go through an analysed temp table rather than a CTE: joined straight to the
  // CTE (which has no statistics) the planner chose a nested loop (~10k lines/s per writer).
  await client.query('CREATE TEMP TABLE stage_inserted (tx_id bigint, status text) ON COMMIT DROP');
  const inserted = await client.query(
    `WITH inserted AS (
       INSERT INTO ledger_entry_rows (key_id, ${ENTRY_COLUMNS}, run_id)
       SELECT $1, ${ENTRY_COLUMNS}, $2 FROM stage_entries ORDER BY tx_id
       ON CONFLICT (key_id, tx_id) DO NOTHING
       RETURNING tx_id, status)
     INSERT INTO stage_inserted SELECT * FROM inserted`,
    [keyId, key.runId],
  );
  await client.query('ANALYZE stage_inserted');
  const linesInserted = await client.query(
    `INSERT INTO ledger_line_rows (key_id, channel_id, tx_id, amount_units)
     SELECT $1, l.channel_id, l.tx_id, l.amount_units
       FROM stage_lines l JOIN stage_inserted i USING (tx_id)
      WHERE i.status = 'attributed'
      ORDER BY l.tx_id, l.channel_id
     ON CONFLICT (key_id, tx_id, channel_id) DO NOTHING`,
    [keyId],
  );
  const drift = await recordDrift(client, key, keyId);
  return { entriesWritten: inserted.rowCount ?? 0, linesWritten: linesInserted.rowCount ?? 0, drift };
}

/**
 * Drift: staged decisions whose key another run already wrote with a different status, reason,
 * amount, account or lines. Each one is recorded with both sides (the stored row stays as it is),
 * so that `attribution drift` can list which transactions moved and how.
 */
async function recordDrift(client: pg.PoolClient, key: LedgerKey, keyId: number): Promise<number> {
  const signature = `string_agg(c.channel || '=' || (l.amount_units * 0.0001)::numeric(18,4)::text, ',' ORDER BY c.channel)`;
  const side = (t: string, sig: string) => `jsonb_build_object('status', ${t}.status, 'reason', ${t}.reason,
      'amount', (${t}.amount_units * 0.0001)::numeric(18,4)::text, 'account', ${t}.account_id, 'lines', coalesce(${sig}.sig, ''))`;
  const recorded = await client.query(
    `WITH staged_lines AS (
       SELECT l.tx_id, ${signature} AS sig FROM stage_lines l JOIN ledger_channels c USING (channel_id) GROUP BY l.tx_id),
     stored_lines AS (
       SELECT l.tx_id, ${signature} AS sig
         FROM ledger_line_rows l JOIN stage_entries s ON l.key_id = $1 AND l.tx_id = s.tx_id JOIN ledger_channels c USING (channel_id)
        GROUP BY l.tx_id)
     INSERT INTO ledger_drift (run_id, model_version, basis, book, kind, transaction_id, stored_run_id, stored, recomputed)
     SELECT $2, $3, $4, $5, t.kind, t.transaction_id, e.run_id, ${side('e', 'el')}, ${side('s', 'sl')}
       FROM stage_entries s
       JOIN ledger_entry_rows e ON e.key_id = $1 AND e.tx_id = s.tx_id
       JOIN ledger_transactions t ON t.tx_id = s.tx_id
       LEFT JOIN staged_lines sl ON sl.tx_id = s.tx_id
       LEFT JOIN stored_lines el ON el.tx_id = s.tx_id
      WHERE e.run_id <> $2
        AND (e.status, e.reason, e.amount_units, e.account_id, el.sig) IS DISTINCT FROM (s.status, s.reason, s.amount_units, s.account_id, sl.sig)
     ON CONFLICT DO NOTHING`,
    [keyId, key.runId, key.modelVersion, key.basis, key.book],
  );
  return recorded.rowCount ?? 0;
}

export interface UnattributableScope {
  contextId: string;
  periodFrom: Date | null;
  periodTo: Date;
  /** The reasons recorded for a user with several accounts, and for a user with none. */
  ambiguousReason: string;
  unmatchedReason: string;
}

/**
 * `excluded` entries for the period's payments and refunds whose user maps to no account or to
 * several (docs/decisions.md); idempotent through the entry key. Returns the entries written.
 */
export async function writeUnattributable(client: pg.PoolClient, key: LedgerKey, scope: UnattributableScope): Promise<number> {
  const keyId = await keyIdOf(client, key);
  const period = (column: string) => `($3::timestamptz IS NULL OR ${column} >= $3::timestamptz) AND ${column} < $4::timestamptz`;
  const reason = 'CASE WHEN ua.ambiguous THEN $1 ELSE $2 END';
  const unmatched = 'LEFT JOIN context_user_accounts ua ON ua.context_id = $5 AND ua.user_id';
  await client.query(
    `CREATE TEMP TABLE stage_excluded ON COMMIT DROP AS
     SELECT 'payment'::text AS kind, p.payment_id AS transaction_id, p.user_id, p.currency, (p.amount * 10000)::bigint AS amount_units,
            p.paid_at AS event_at, ${reason} AS reason
       FROM payments p ${unmatched} = p.user_id WHERE ua.account_id IS NULL AND ${period('p.paid_at')}
     UNION ALL
     SELECT 'refund', r.refund_id, r.user_id, r.currency, -(r.amount * 10000)::bigint, r.refunded_at, ${reason}
       FROM refunds r ${unmatched} = r.user_id WHERE ua.account_id IS NULL AND ${period('r.refunded_at')}`,
    [scope.ambiguousReason, scope.unmatchedReason, scope.periodFrom, scope.periodTo, scope.contextId],
  );
  await client.query(
    `INSERT INTO ledger_transactions (kind, transaction_id)
     SELECT kind, transaction_id FROM stage_excluded s
      WHERE NOT EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.transaction_id = s.transaction_id AND t.kind = s.kind)
      ORDER BY event_at, transaction_id, kind
     ON CONFLICT DO NOTHING`);
  const written = await client.query(
    `INSERT INTO ledger_entry_rows (key_id, ${ENTRY_COLUMNS}, run_id)
     SELECT $1, t.tx_id, s.amount_units, s.event_at, s.currency, 'excluded', s.reason, NULL, s.user_id, NULL, $2
       FROM stage_excluded s JOIN ledger_transactions t USING (kind, transaction_id)
      ORDER BY t.tx_id
     ON CONFLICT (key_id, tx_id) DO NOTHING`,
    [keyId, key.runId],
  );
  return written.rowCount ?? 0;
}

/** Fresh statistics after a run's writes: without them the planner joins the new rows with nested loops. */
export async function analyzeLedger(db: Db): Promise<void> {
  await db.query('ANALYZE ledger_keys, ledger_channels, ledger_transactions, ledger_entry_rows, ledger_line_rows');
}

/** The ledger's physical size: its raw tables with their indexes, and the transaction surrogates. */
export async function ledgerBytes(db: Db): Promise<{ entries: number; lines: number; transactions: number }> {
  const r = await db.query<{ entries: string; lines: string; transactions: string }>(
    `SELECT pg_total_relation_size('ledger_entry_rows')::text AS entries, pg_total_relation_size('ledger_line_rows')::text AS lines,
            (pg_total_relation_size('ledger_transactions') + pg_total_relation_size('ledger_keys') + pg_total_relation_size('ledger_channels'))::text AS transactions`);
  const row = r.rows[0]!;
  return { entries: Number(row.entries), lines: Number(row.lines), transactions: Number(row.transactions) };
}
