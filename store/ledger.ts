// The ledger's store (docs/ledger.md): every statement that writes the ledger's raw tables
// (ledger_keys, ledger_channels, ledger_entry_rows, ledger_line_rows, the entry id blocks) and
// ledger_drift. Readers use the views ledger_entries and ledger_lines.
//
// Writes happen within the caller's transaction. A fresh run COPYs its decisions straight into
// the raw tables in key order; an existing key (a re-run, a retry racing an earlier attempt, late
// data) raises a unique violation, the savepoint is rolled back, and the staging path inserts
// with ON CONFLICT DO NOTHING, keeps every stored row, writes lines only for the entries it
// inserted (a stored decision is never mixed with a recomputed one) and records drift.
import type pg from 'pg';
import { copyTextField } from './copyText';
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

const ENTRY_COLUMNS = 'entry_id, amount_units, event_at, kind, transaction_id, currency, status, reason, account_id, user_id, rule_name';

/** Entry ids per block (the sequence ledger_entry_blocks steps by this): one block numbers one write. */
const BLOCK = 16_777_216n;

/** Writes a shard's decisions under `key`, in the caller's transaction; see the header. */
export async function writeDecisions(client: pg.PoolClient, key: LedgerKey, decisions: ReadonlyArray<LedgerDecision>): Promise<LedgerWriteResult> {
  const startedAt = Date.now();
  const keyId = await keyIdOf(client, key);
  const channelIds = await channelIdsOf(client, [...new Set(decisions.flatMap((d) => d.lines.map((l) => l.channel)))]);
  const rows = await numbered(client, decisions);
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

/** A decision with its entry id. */
interface NumberedDecision {
  entryId: bigint;
  decision: LedgerDecision;
}

/** Entry ids for a write from one block, in event-time order, so that the ledger grows in the order it is read by period. */
async function numbered(db: Db, decisions: ReadonlyArray<LedgerDecision>): Promise<NumberedDecision[]> {
  if (BigInt(decisions.length) > BLOCK) throw new Error(`ledger: one write of ${decisions.length} decisions exceeds a block of ${BLOCK} entry ids; use smaller shards (--accounts-per-shard)`);
  const r = await db.query<{ block: string }>("SELECT nextval('ledger_entry_blocks')::text AS block");
  const base = BigInt(r.rows[0]!.block);
  const ordered = [...decisions].sort((a, b) => a.at - b.at || compare(a.kind, b.kind) || compare(a.transactionId, b.transactionId));
  return ordered.map((decision, i) => ({ entryId: base + BigInt(i), decision }));
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const text = (v: string | null) => (v === null ? '\\N' : copyTextField(v));

/** Entry columns in ENTRY_COLUMNS order. */
function entryFields(n: NumberedDecision): string {
  const d = n.decision;
  return `${n.entryId}\t${d.amountUnits}\t${new Date(d.at).toISOString()}\t${d.kind}\t${text(d.transactionId)}\t${d.currency}\t${d.status}\t` +
    `${text(d.reason)}\t${text(d.accountId)}\t${text(d.userId)}\t${text(d.ruleName)}`;
}

/** Line rows (entry_id, amount_units, channel_id) of a decision. */
function lineRows(n: NumberedDecision, channelIds: Map<string, number>): string[] {
  return n.decision.lines.map((l) => `${n.entryId}\t${l.amountUnits}\t${channelIds.get(l.channel)!}\n`);
}

async function copyStraight(client: pg.PoolClient, key: LedgerKey, keyId: number, channelIds: Map<string, number>, rows: NumberedDecision[]) {
  const tail = `\t${keyId}\t${copyTextField(key.runId)}\n`;
  const entries: string[] = [];
  const lines: string[] = [];
  for (const n of rows) {
    entries.push(`${entryFields(n)}${tail}`);
    if (n.decision.status === 'attributed') lines.push(...lineRows(n, channelIds));
  }
  await copyRows(client, `COPY ledger_entry_rows (${ENTRY_COLUMNS}, key_id, run_id) FROM STDIN`, entries);
  await copyRows(client, 'COPY ledger_line_rows (entry_id, amount_units, channel_id) FROM STDIN', lines);
  return { entriesWritten: entries.length, linesWritten: lines.length, drift: 0 };
}

async function writeThroughStaging(client: pg.PoolClient, key: LedgerKey, keyId: number, channelIds: Map<string, number>, rows: NumberedDecision[]) {
  await client.query(`CREATE TEMP TABLE stage_entries (entry_id bigint, amount_units bigint, event_at timestamptz, kind text, transaction_id text,
    currency char(3), status text, reason text, account_id text, user_id text, rule_name text) ON COMMIT DROP`);
  await client.query('CREATE TEMP TABLE stage_lines (entry_id bigint, amount_units bigint, channel_id smallint) ON COMMIT DROP');
  await copyRows(client, `COPY stage_entries (${ENTRY_COLUMNS}) FROM STDIN`, rows.map((n) => `${entryFields(n)}\n`));
  await copyRows(client, 'COPY stage_lines (entry_id, amount_units, channel_id) FROM STDIN', rows.flatMap((n) => lineRows(n, channelIds)));
  // Temp tables have no statistics until analysed; without them the planner scans the ledger.
  await client.query('ANALYZE stage_entries, stage_lines');

  // The inserted keys go through an analysed temp table rather than a CTE: joined straight to the
  // CTE (which has no statistics) the planner chose a nested loop (~10k lines/s per writer).
  await client.query('CREATE TEMP TABLE stage_inserted (entry_id bigint, status text) ON COMMIT DROP');
  const inserted = await client.query(
    `WITH inserted AS (
       INSERT INTO ledger_entry_rows (${ENTRY_COLUMNS}, key_id, run_id)
       SELECT ${ENTRY_COLUMNS}, $1, $2 FROM stage_entries ORDER BY entry_id
       ON CONFLICT (key_id, kind, transaction_id) DO NOTHING
       RETURNING entry_id, status)
     INSERT INTO stage_inserted SELECT * FROM inserted`,
    [keyId, key.runId],
  );
  await client.query('ANALYZE stage_inserted');
  const linesInserted = await client.query(
    `INSERT INTO ledger_line_rows (entry_id, amount_units, channel_id)
     SELECT l.entry_id, l.amount_units, l.channel_id
       FROM stage_lines l JOIN stage_inserted i USING (entry_id)
      WHERE i.status = 'attributed'
      ORDER BY l.entry_id, l.channel_id
     ON CONFLICT (entry_id, channel_id) DO NOTHING`,
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
    `WITH stored AS MATERIALIZED (
       SELECT s.entry_id AS staged_id, e.*
         FROM stage_entries s JOIN ledger_entry_rows e ON e.key_id = $1 AND e.kind = s.kind AND e.transaction_id = s.transaction_id
        WHERE e.run_id <> $2),
     staged_lines AS (
       SELECT l.entry_id, ${signature} AS sig FROM stage_lines l JOIN ledger_channels c USING (channel_id) GROUP BY l.entry_id),
     stored_lines AS (
       SELECT l.entry_id, ${signature} AS sig
         FROM ledger_line_rows l JOIN stored e USING (entry_id) JOIN ledger_channels c USING (channel_id)
        GROUP BY l.entry_id)
     INSERT INTO ledger_drift (run_id, model_version, basis, book, kind, transaction_id, stored_run_id, stored, recomputed)
     SELECT $2, $3, $4, $5, s.kind, s.transaction_id, e.run_id, ${side('e', 'el')}, ${side('s', 'sl')}
       FROM stage_entries s
       JOIN stored e ON e.staged_id = s.entry_id
       LEFT JOIN staged_lines sl ON sl.entry_id = s.entry_id
       LEFT JOIN stored_lines el ON el.entry_id = e.entry_id
      WHERE (e.status, e.reason, e.amount_units, e.account_id, el.sig) IS DISTINCT FROM (s.status, s.reason, s.amount_units, s.account_id, sl.sig)
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
  // One block of entry ids, numbered in event-time order like every write.
  const written = await client.query(
    `WITH block AS (SELECT nextval('ledger_entry_blocks') AS base),
     excluded AS (
       SELECT 'payment'::text AS kind, p.payment_id AS transaction_id, p.user_id, p.currency, (p.amount * 10000)::bigint AS amount_units,
              p.paid_at AS event_at, ${reason} AS reason
         FROM payments p ${unmatched} = p.user_id WHERE ua.account_id IS NULL AND ${period('p.paid_at')}
       UNION ALL
       SELECT 'refund', r.refund_id, r.user_id, r.currency, -(r.amount * 10000)::bigint, r.refunded_at, ${reason}
         FROM refunds r ${unmatched} = r.user_id WHERE ua.account_id IS NULL AND ${period('r.refunded_at')})
     INSERT INTO ledger_entry_rows (${ENTRY_COLUMNS}, key_id, run_id)
     SELECT block.base + row_number() OVER (ORDER BY x.event_at, x.kind, x.transaction_id) - 1,
            x.amount_units, x.event_at, x.kind, x.transaction_id, x.currency, 'excluded', x.reason, NULL, x.user_id, NULL, $6, $7
       FROM excluded x, block
      ORDER BY 1
     ON CONFLICT (key_id, kind, transaction_id) DO NOTHING`,
    [scope.ambiguousReason, scope.unmatchedReason, scope.periodFrom, scope.periodTo, scope.contextId, keyId, key.runId],
  );
  return written.rowCount ?? 0;
}

export interface UnbalancedEntry {
  kind: string;
  transactionId: string;
  amount: string;
  /** The sum of its lines; null when it has none. */
  lines: string | null;
}

/**
 * Attributed entries of a key whose lines do not sum to their amount, in the period [from, to)
 * (from null: since the beginning); at most `limit`. On the raw tables: through the two views the
 * same join matched five text columns and took ~3× as long (bench, 10k accounts).
 */
export async function unbalancedEntries(db: Db, key: Omit<LedgerKey, 'runId'>, from: Date | null, to: Date, limit = 5): Promise<UnbalancedEntry[]> {
  const r = await db.query<{ kind: string; transaction_id: string; amount: string; lines: string | null }>(
    `SELECT e.kind, e.transaction_id, (e.amount_units * 0.0001)::numeric(18,4)::text AS amount,
            (sum(l.amount_units) * 0.0001)::numeric(18,4)::text AS lines
       FROM ledger_keys k
       JOIN ledger_entry_rows e ON e.key_id = k.key_id
       LEFT JOIN ledger_line_rows l ON l.entry_id = e.entry_id
      WHERE k.model_version = $1 AND k.basis = $2 AND k.book = $3 AND e.status = 'attributed'
        AND ($4::timestamptz IS NULL OR e.event_at >= $4::timestamptz) AND e.event_at < $5::timestamptz
      GROUP BY e.entry_id, e.kind, e.transaction_id, e.amount_units
     HAVING sum(l.amount_units) IS DISTINCT FROM e.amount_units
      LIMIT $6`,
    [key.modelVersion, key.basis, key.book, from, to, limit],
  );
  return r.rows.map((row) => ({ kind: row.kind, transactionId: row.transaction_id, amount: row.amount, lines: row.lines }));
}

/** Fresh statistics after a run's writes: without them the planner joins the new rows with nested loops. */
export async function analyzeLedger(db: Db): Promise<void> {
  await db.query('ANALYZE ledger_keys, ledger_channels, ledger_entry_rows, ledger_line_rows');
  await db.query("SELECT brin_summarize_new_values('ledger_entry_rows_event_idx')");
}

/** The ledger's physical size: its raw tables with their indexes, and the transaction surrogates. */
export async function ledgerBytes(db: Db): Promise<{ entries: number; lines: number }> {
  const r = await db.query<{ entries: string; lines: string }>(
    `SELECT pg_total_relation_size('ledger_entry_rows')::text AS entries, pg_total_relation_size('ledger_line_rows')::text AS lines`);
  const row = r.rows[0]!;
  return { entries: Number(row.entries), lines: Number(row.lines) };
}
