// The ledger's store (docs/ledger.md): every statement that writes the ledger's raw tables
// (ledger_keys, ledger_channels, ledger_runs, ledger_reasons, ledger_entry_rows with its lines
// inline, the entry id blocks) and ledger_drift. Readers use the views ledger_entries and ledger_lines.
//
// Writes happen within the caller's transaction. A fresh run COPYs its decisions straight into
// the entry table in key order; an existing key (a re-run, a retry racing an earlier attempt,
// late data) raises a unique violation, the savepoint is rolled back, and the staging path
// inserts with ON CONFLICT DO NOTHING, keeps every stored row (a stored decision is never mixed
// with a recomputed one: its lines are in its row) and records drift.
import type pg from 'pg';
import { copyTextField } from './copyText';
import type { Decision } from '../domain/decisions';
import { instantFormatter } from './copyInstant';
import { inPeriod } from './predicates';
import type { ReconciliationRow } from './runResults';
import { copyRows, unlessStoredBefore } from './sql';

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

/** The columns a write supplies per entry (key_id and run_no follow: one value per write). */
const ENTRY_COLUMNS = 'entry_id, amount_units, event_at, kind, status, reason_id, currency, transaction_id, account_id, user_id, rule_name, line_channels, line_units';

/** Entry ids per block (the sequence ledger_entry_blocks steps by this): one block numbers one write. */
const BLOCK = 16_777_216n;

/** Writes a shard's decisions under `key`, in the caller's transaction; see the header. */
export async function writeDecisions(client: pg.PoolClient, key: LedgerKey, decisions: ReadonlyArray<LedgerDecision>): Promise<LedgerWriteResult> {
  const startedAt = Date.now();
  const ids = await surrogatesOf(client, key, decisions);
  const rows = await numbered(client, decisions, ids);
  const written = await unlessStoredBefore(client, 'ledger_direct', () => copyStraight(client, ids, rows), () => writeThroughStaging(client, key, ids, rows));
  return { ...written, ledgerWrite: { startedAt, seconds: (Date.now() - startedAt) / 1000, lines: written.linesWritten } };
}

/** Creates the keys of a run's books up front, so that its concurrent first writers do not wait on each other's insert. */
export async function registerKeys(db: Db, modelVersion: string, basis: string, books: ReadonlyArray<string>): Promise<void> {
  await db.query(
    `INSERT INTO ledger_keys (model_version, basis, book) SELECT $1, $2, b FROM unnest($3::text[]) b ORDER BY b ON CONFLICT DO NOTHING`,
    [modelVersion, basis, books],
  );
}

/**
 * Creates the run number, channels and reasons that some writes will need, in a statement of its
 * own (committed at once), so that writers running at once do not wait on each other's
 * uncommitted insert of the same dictionary row for the length of their ledger transactions.
 */
export async function registerSurrogates(pool: pg.Pool, runId: string, decisionLists: ReadonlyArray<ReadonlyArray<LedgerDecision>>): Promise<void> {
  const { channels, reasons } = namesOf(...decisionLists);
  await pool.query(
    `SELECT ledger_run_no($1),
            (SELECT count(ledger_channel_id(c)) FROM (SELECT c FROM unnest($2::text[]) c ORDER BY c) s),
            (SELECT count(ledger_reason_id(r)) FROM (SELECT r FROM unnest($3::text[]) r ORDER BY r) s)`,
    [runId, channels, reasons],
  );
}

/** The distinct channels and reasons of some decisions (loops, not flatMap: a shard pass has hundreds of thousands). */
function namesOf(...decisionLists: ReadonlyArray<ReadonlyArray<LedgerDecision>>): { channels: string[]; reasons: string[] } {
  const channels = new Set<string>();
  const reasons = new Set<string>();
  for (const decisions of decisionLists) {
    for (const d of decisions) {
      reasons.add(d.reason);
      for (const l of d.lines) channels.add(l.channel);
    }
  }
  return { channels: [...channels], reasons: [...reasons] };
}

/** The integer surrogates a write needs: its key, its run, and the ids of its channels and reasons. */
interface Surrogates {
  keyId: number;
  runNo: number;
  channelIds: Map<string, number>;
  reasonIds: Map<string, number>;
}

/** One round trip; new channels and reasons are inserted sorted, so that two writers adding the same ones lock in the same order. */
async function surrogatesOf(db: Db, key: LedgerKey, decisions: ReadonlyArray<LedgerDecision>): Promise<Surrogates> {
  const { channels, reasons } = namesOf(decisions);
  const r = await db.query<{ key_id: number; run_no: number; channels: Record<string, number>; reasons: Record<string, number> }>(
    `SELECT ledger_key_id($1, $2, $3) AS key_id, ledger_run_no($4) AS run_no,
            (SELECT coalesce(json_object_agg(c, ledger_channel_id(c)), '{}') FROM (SELECT c FROM unnest($5::text[]) c ORDER BY c) s) AS channels,
            (SELECT coalesce(json_object_agg(r, ledger_reason_id(r)), '{}') FROM (SELECT r FROM unnest($6::text[]) r ORDER BY r) s) AS reasons`,
    [key.modelVersion, key.basis, key.book, key.runId, channels, reasons],
  );
  const row = r.rows[0]!;
  return { keyId: row.key_id, runNo: row.run_no, channelIds: new Map(Object.entries(row.channels)), reasonIds: new Map(Object.entries(row.reasons)) };
}

/** A decision as one COPY line of ENTRY_COLUMNS, and how many lines it carries. */
interface NumberedDecision {
  entryId: bigint;
  copyLine: string;
  lines: number;
}

/**
 * Entry ids for a write from one block, in event-time order, so that the ledger grows in the order
 * it is read by period; each decision formatted once.
 */
async function numbered(db: Db, decisions: ReadonlyArray<LedgerDecision>, ids: Surrogates): Promise<NumberedDecision[]> {
  if (BigInt(decisions.length) > BLOCK) throw new Error(`ledger: one write of ${decisions.length} decisions exceeds a block of ${BLOCK} entry ids; use smaller shards (--accounts-per-shard)`);
  const r = await db.query<{ block: string }>("SELECT nextval('ledger_entry_blocks')::text AS block");
  const base = BigInt(r.rows[0]!.block);
  const ordered = [...decisions].sort((a, b) => a.at - b.at || compare(a.kind, b.kind) || compare(a.transactionId, b.transactionId));
  const instant = instantFormatter();
  return ordered.map((d, i) => {
    const entryId = base + BigInt(i);
    const [channels, units] = lineArrays(d, ids.channelIds);
    const copyLine = `${entryId}\t${d.amountUnits}\t${instant(d.at)}\t${d.kind}\t${d.status === 'attributed' ? 'a' : 'e'}\t` +
      `${ids.reasonIds.get(d.reason)!}\t${d.currency}\t${text(d.transactionId)}\t${text(d.accountId)}\t${text(d.userId)}\t${text(d.ruleName)}\t${channels}\t${units}`;
    return { entryId, copyLine, lines: d.status === 'attributed' ? d.lines.length : 0 };
  });
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const text = (v: string | null) => (v === null ? '\\N' : copyTextField(v));

/** An attributed decision's lines as two array literals (channel ids ascending, amounts); NULL for none or when excluded. */
function lineArrays(d: LedgerDecision, channelIds: Map<string, number>): [string, string] {
  if (d.status !== 'attributed' || d.lines.length === 0) return ['\\N', '\\N'];
  if (d.lines.length === 1) return [`{${channelIds.get(d.lines[0]!.channel)!}}`, `{${d.lines[0]!.amountUnits}}`]; // most entries: no sort
  const lines = d.lines.map((l) => ({ id: channelIds.get(l.channel)!, units: l.amountUnits })).sort((a, b) => a.id - b.id);
  return [`{${lines.map((l) => l.id).join(',')}}`, `{${lines.map((l) => l.units).join(',')}}`];
}

async function copyStraight(client: pg.PoolClient, ids: Surrogates, rows: NumberedDecision[]) {
  const tail = `\t${ids.keyId}\t${ids.runNo}\n`;
  await copyRows(client, `COPY ledger_entry_rows (${ENTRY_COLUMNS}, key_id, run_no) FROM STDIN`, rows.map((n) => n.copyLine), tail);
  return { entriesWritten: rows.length, linesWritten: rows.reduce((sum, n) => sum + n.lines, 0), drift: 0 };
}

async function writeThroughStaging(client: pg.PoolClient, key: LedgerKey, ids: Surrogates, rows: NumberedDecision[]) {
  await client.query(`CREATE TEMP TABLE stage_entries (entry_id bigint, amount_units bigint, event_at timestamptz, kind text, status "char",
    reason_id smallint, currency char(3), transaction_id text, account_id text, user_id text, rule_name text, line_channels smallint[],
    line_units bigint[]) ON COMMIT DROP`);
  await copyRows(client, `COPY stage_entries (${ENTRY_COLUMNS}) FROM STDIN`, rows.map((n) => n.copyLine), '\n');
  // Temp tables have no statistics until analysed; without them the planner scans the ledger.
  await client.query('ANALYZE stage_entries');
  const inserted = await client.query<{ entries: number; lines: number }>(
    `WITH inserted AS (
       INSERT INTO ledger_entry_rows (${ENTRY_COLUMNS}, key_id, run_no)
       SELECT ${ENTRY_COLUMNS}, $1, $2 FROM stage_entries ORDER BY entry_id
       ON CONFLICT (key_id, kind, transaction_id) DO NOTHING
       RETURNING coalesce(cardinality(line_channels), 0) AS lines)
     SELECT count(*)::int AS entries, coalesce(sum(lines), 0)::int AS lines FROM inserted`,
    [ids.keyId, ids.runNo],
  );
  const drift = await recordDrift(client, key, ids);
  // A shard pass writes several books in one transaction: the next one stages afresh.
  await client.query('DROP TABLE stage_entries');
  return { entriesWritten: inserted.rows[0]!.entries, linesWritten: inserted.rows[0]!.lines, drift };
}

/**
 * Drift: staged decisions whose key another run already wrote with a different status, reason,
 * amount, account or lines. Each one is recorded with both sides (the stored row stays as it is),
 * so that `attribution drift` can list which transactions moved and how. Both sides keep their
 * lines in channel id order, so the arrays compare exactly.
 */
async function recordDrift(client: pg.PoolClient, key: LedgerKey, ids: Surrogates): Promise<number> {
  const side = (t: string) => `jsonb_build_object('status', CASE ${t}.status WHEN 'a' THEN 'attributed' ELSE 'excluded' END,
      'reason', (SELECT reason FROM ledger_reasons WHERE reason_id = ${t}.reason_id),
      'amount', (${t}.amount_units * 0.0001)::numeric(18,4)::text, 'account', ${t}.account_id,
      'lines', coalesce((SELECT string_agg(c.channel || '=' || (l.units * 0.0001)::numeric(18,4)::text, ',' ORDER BY c.channel)
                           FROM unnest(${t}.line_channels, ${t}.line_units) AS l(channel_id, units) JOIN ledger_channels c USING (channel_id)), ''))`;
  const recorded = await client.query(
    `INSERT INTO ledger_drift (run_id, model_version, basis, book, kind, transaction_id, stored_run_id, stored, recomputed)
     SELECT $3, $4, $5, $6, s.kind, s.transaction_id,
            (SELECT run_id FROM ledger_runs WHERE run_no = e.run_no), ${side('e')}, ${side('s')}
       FROM stage_entries s
       JOIN ledger_entry_rows e ON e.key_id = $1 AND e.kind = s.kind AND e.transaction_id = s.transaction_id
      WHERE e.run_no <> $2
        AND (e.status, e.reason_id, e.amount_units, e.account_id, e.line_channels, e.line_units)
            IS DISTINCT FROM (s.status, s.reason_id, s.amount_units, s.account_id, s.line_channels, s.line_units)
     ON CONFLICT DO NOTHING`,
    [ids.keyId, ids.runNo, key.runId, key.modelVersion, key.basis, key.book],
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
  const ids = await surrogatesOf(client, key, []);
  const period = (column: string) => `($3::timestamptz IS NULL OR ${column} >= $3::timestamptz) AND ${column} < $4::timestamptz`;
  const reason = 'CASE WHEN ua.ambiguous THEN ledger_reason_id($1) ELSE ledger_reason_id($2) END';
  const unmatched = 'LEFT JOIN context_user_accounts ua ON ua.context_id = $5 AND ua.user_id';
  // One block of entry ids, numbered in event-time order like every write.
  const written = await client.query(
    `WITH block AS (SELECT nextval('ledger_entry_blocks') AS base),
     excluded AS (
       SELECT 'payment'::text AS kind, p.payment_id AS transaction_id, p.user_id, p.currency, (p.amount * 10000)::bigint AS amount_units,
              p.paid_at AS event_at, ${reason} AS reason_id
         FROM payments p ${unmatched} = p.user_id WHERE ua.account_id IS NULL AND ${period('p.paid_at')}
       UNION ALL
       SELECT 'refund', r.refund_id, r.user_id, r.currency, -(r.amount * 10000)::bigint, r.refunded_at, ${reason}
         FROM refunds r ${unmatched} = r.user_id WHERE ua.account_id IS NULL AND ${period('r.refunded_at')})
     INSERT INTO ledger_entry_rows (${ENTRY_COLUMNS}, key_id, run_no)
     SELECT block.base + row_number() OVER (ORDER BY x.event_at, x.kind, x.transaction_id) - 1,
            x.amount_units, x.event_at, x.kind, 'e', x.reason_id, x.currency, x.transaction_id, NULL, x.user_id, NULL, NULL, NULL, $6, $7
       FROM excluded x, block
      ORDER BY 1
     ON CONFLICT (key_id, kind, transaction_id) DO NOTHING`,
    [scope.ambiguousReason, scope.unmatchedReason, scope.periodFrom, scope.periodTo, scope.contextId, ids.keyId, ids.runNo],
  );
  return written.rowCount ?? 0;
}

/** The ledgers of several books under one model version and basis (one shard pass reads them together). */
export interface BooksKey {
  modelVersion: string;
  basis: string;
  books: ReadonlyArray<string>;
}

export interface PriorPaymentLine {
  book: string;
  accountId: string;
  transactionId: string;
  currency: string;
  ruleName: string | null;
  channel: string;
  units: bigint;
}

/**
 * The entries of some accounts under some keys, one index probe per (key, account) on the
 * (key_id, account_id) index; `where` narrows them (on `e`). The probes are fenced (OFFSET 0) so
 * that the planner cannot turn them into one scan: while a run writes, the ledger's statistics are
 * stale, and it then read every payment of a key through the primary key for each shard, a cost
 * that grew with the ledger (bench/results.md, "The refund cascade's reads"). Through the two views
 * it joined the lines by a scan of the whole ledger: 40 s a shard at 1M accounts.
 */
const entriesOfAccounts = (columns: string, where: string) =>
  `ledger_keys k
   CROSS JOIN unnest($4::text[]) AS a(account_id)
   CROSS JOIN LATERAL (SELECT ${columns} FROM ledger_entry_rows e
                        WHERE e.key_id = k.key_id AND e.account_id = a.account_id AND ${where} OFFSET 0) e`;

/**
 * The refund cascade's read of earlier entries: the lines of the payments attributed under some
 * books to some accounts (given once each), in (book, account, payment, channel) order.
 */
export async function attributedPaymentLines(db: Db, key: BooksKey, accountIds: ReadonlyArray<string>): Promise<PriorPaymentLine[]> {
  const r = await db.query<{ book: string; account_id: string; transaction_id: string; currency: string; rule_name: string | null; channel: string; units: string }>(
    `SELECT k.book, a.account_id, e.transaction_id, e.currency, e.rule_name, c.channel, l.units::text
       FROM ${entriesOfAccounts('e.transaction_id, e.currency, e.rule_name, e.line_channels, e.line_units', "e.kind = 'payment' AND e.status = 'a'")}
      CROSS JOIN LATERAL unnest(e.line_channels, e.line_units) AS l(channel_id, units)
       JOIN ledger_channels c ON c.channel_id = l.channel_id
      WHERE k.model_version = $1 AND k.basis = $2 AND k.book = ANY($3::text[])
      ORDER BY k.book, a.account_id, e.transaction_id, c.channel`,
    [key.modelVersion, key.basis, [...key.books], [...accountIds]],
  );
  return r.rows.map((x) => ({ book: x.book, accountId: x.account_id, transactionId: x.transaction_id, currency: x.currency, ruleName: x.rule_name, channel: x.channel, units: BigInt(x.units) }));
}

/**
 * Per book, payment and channel, what refunds before `before` reversed of it under the books
 * (entries with reason `reversalReason`), for some accounts (given once each), in that order; read like the lines above.
 */
export async function reversedBefore(db: Db, key: BooksKey, accountIds: ReadonlyArray<string>, before: Date, reversalReason: string): Promise<Array<{ book: string; paymentId: string; channel: string; units: bigint }>> {
  const r = await db.query<{ book: string; payment_id: string; channel: string; units: string }>(
    `SELECT k.book, r.payment_id, c.channel, sum(l.units)::text AS units
       FROM ${entriesOfAccounts('e.transaction_id, e.line_channels, e.line_units',
         "e.kind = 'refund' AND e.status = 'a' AND e.reason_id = (SELECT reason_id FROM ledger_reasons WHERE reason = $6)")}
       JOIN refunds r ON r.refund_id = e.transaction_id
      CROSS JOIN LATERAL unnest(e.line_channels, e.line_units) AS l(channel_id, units)
       JOIN ledger_channels c ON c.channel_id = l.channel_id
      WHERE k.model_version = $1 AND k.basis = $2 AND k.book = ANY($3::text[]) AND r.refunded_at < $5
      GROUP BY k.book, r.payment_id, c.channel
      ORDER BY k.book, r.payment_id, c.channel`,
    [key.modelVersion, key.basis, [...key.books], [...accountIds], before, reversalReason],
  );
  return r.rows.map((x) => ({ book: x.book, paymentId: x.payment_id, channel: x.channel, units: BigInt(x.units) }));
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
    `SELECT e.kind, e.transaction_id,
            (e.amount_units * 0.0001)::numeric(18,4)::text AS amount, (s.units * 0.0001)::numeric(18,4)::text AS lines
       FROM ledger_keys k
       JOIN ledger_entry_rows e ON e.key_id = k.key_id
      CROSS JOIN LATERAL (SELECT sum(u) AS units FROM unnest(e.line_units) u) s
      WHERE k.model_version = $1 AND k.basis = $2 AND k.book = $3 AND e.status = 'a'
        AND ($4::timestamptz IS NULL OR e.event_at >= $4::timestamptz) AND e.event_at < $5::timestamptz
        AND s.units IS DISTINCT FROM e.amount_units
      LIMIT $6`,
    [key.modelVersion, key.basis, key.book, from, to, limit],
  );
  return r.rows.map((row) => ({ kind: row.kind, transactionId: row.transaction_id, amount: row.amount, lines: row.lines }));
}

/** One book's reconciliation, and how many of its attributed entries have lines that do not sum to them. */
export interface BookReconciliation {
  rows: ReconciliationRow[];
  unbalancedEntries: number;
}

/**
 * Billing of the period [from, to) against the ledger of one book, per currency (docs/decisions.md,
 * "Ledger and runs"), and the count of unbalanced entries, in one scan of the book's entries of
 * the period: integer units summed on the raw table, reasons named after grouping. Through the
 * views, each row was joined to its key, run and reason and converted to numeric; with the
 * separate scan for unbalanced entries, the reconciliation of a 100k-account lifetime run took
 * about twice as long.
 */
export async function reconcileBook(db: Db, key: Omit<LedgerKey, 'runId'>, from: Date | null, to: Date): Promise<BookReconciliation> {
  const result = await db.query<{ currency: string; billing_total: string; attributed_total: string; excluded_total: string; excluded_by_reason: Record<string, string>; variance: string; unbalanced: number }>(
    `WITH billing AS (
       SELECT currency, sum(amount) AS total FROM (
         SELECT currency, amount FROM payments WHERE ${inPeriod('paid_at', '$3', '$4')}
         UNION ALL
         SELECT currency, -amount FROM refunds WHERE ${inPeriod('refunded_at', '$3', '$4')}) t
       GROUP BY currency),
     by_reason AS (
       SELECT e.currency, e.status, e.reason_id, sum(e.amount_units) AS units,
              count(*) FILTER (WHERE e.status = 'a' AND e.amount_units IS DISTINCT FROM (SELECT sum(u) FROM unnest(e.line_units) u)) AS unbalanced
         FROM ledger_entry_rows e
        WHERE e.key_id = (SELECT key_id FROM ledger_keys WHERE model_version = $1 AND basis = $5 AND book = $2)
          AND ${inPeriod('e.event_at', '$3', '$4')}
        GROUP BY e.currency, e.status, e.reason_id),
     ledger AS (
       SELECT b.currency,
              coalesce(sum(b.units) FILTER (WHERE b.status = 'a'), 0) * 0.0001 AS attributed,
              coalesce(sum(b.units) FILTER (WHERE b.status = 'e'), 0) * 0.0001 AS excluded,
              coalesce(jsonb_object_agg(coalesce(r.reason, 'reason #' || b.reason_id), (b.units * 0.0001)::text) FILTER (WHERE b.status = 'e'), '{}'::jsonb) AS by_reason,
              sum(b.unbalanced)::int AS unbalanced
         FROM by_reason b LEFT JOIN ledger_reasons r USING (reason_id)
        GROUP BY b.currency)
     SELECT currency::text AS currency,
            coalesce(b.total, 0)::numeric(18,4)::text AS billing_total,
            coalesce(l.attributed, 0)::numeric(18,4)::text AS attributed_total,
            coalesce(l.excluded, 0)::numeric(18,4)::text AS excluded_total,
            coalesce(l.by_reason, '{}'::jsonb) AS excluded_by_reason,
            (coalesce(b.total, 0) - coalesce(l.attributed, 0) - coalesce(l.excluded, 0))::numeric(18,4)::text AS variance,
            coalesce(l.unbalanced, 0) AS unbalanced
       FROM billing b FULL JOIN ledger l USING (currency)
      ORDER BY currency`,
    [key.modelVersion, key.book, from, to, key.basis],
  );
  const rows = result.rows.map((r) => ({
    book: key.book, currency: r.currency, billingTotal: r.billing_total, attributedTotal: r.attributed_total,
    excludedTotal: r.excluded_total, excludedByReason: r.excluded_by_reason, variance: r.variance,
  }));
  return { rows, unbalancedEntries: result.rows.reduce((sum, r) => sum + r.unbalanced, 0) };
}

/** Fresh statistics after a run's writes: without them the planner joins the new rows with nested loops. */
export async function analyzeLedger(db: Db): Promise<void> {
  await db.query('ANALYZE ledger_keys, ledger_channels, ledger_runs, ledger_reasons, ledger_entry_rows');
  await db.query("SELECT brin_summarize_new_values('ledger_entry_rows_event_idx')");
}

/** The ledger's physical size: its raw table with its indexes (the lines live in the entries' rows), and the dictionaries. */
export async function ledgerBytes(db: Db): Promise<{ entries: number; dictionaries: number }> {
  const r = await db.query<{ entries: string; dictionaries: string }>(
    `SELECT pg_total_relation_size('ledger_entry_rows')::text AS entries,
            (pg_total_relation_size('ledger_keys') + pg_total_relation_size('ledger_channels') + pg_total_relation_size('ledger_runs')
             + pg_total_relation_size('ledger_reasons'))::text AS dictionaries`);
  const row = r.rows[0]!;
  return { entries: Number(row.entries), dictionaries: Number(row.dictionaries) };
}
