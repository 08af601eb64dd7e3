// Every ledger read of the reports, in one module, so that what a report selects (model
// version, basis, books, period) is decided in one place: `scope`.
// Rows are selected by their key and period rather than by the run ids that wrote them, because
// a repeated run writes nothing new: its rows carry the run id of the first run that wrote them.
// The runs reported on are listed in the manifest and the report's header.
import type pg from 'pg';
import { parseAmountUnits } from '../../domain/money';
import { parseRuleset, type Ruleset } from '../../domain/ruleset';
import { computeReconciliation, readReconciliation, type ReconciliationRow } from '../../activities/run/reconcileRun';
import { inPeriod } from '../../activities/run/runRecord';
import type { ChannelRevenue } from '../../reporting/attributionCsv';
import type { MonthRevenue } from '../../reporting/comparison';
import type { DecisionCount } from '../../reporting/summary';

export interface LedgerScope {
  modelVersion: string;
  /** `monthly` or `as_of:<instant>`: a report is of one basis (docs/operations.md). */
  basis: string;
  books: ReadonlyArray<string>;
  /** ISO instants; from null = the beginning of time. */
  from: string | null;
  to: string;
}

/** The WHERE clause of a scope over a ledger table (alias `t`), with its parameters from $1. */
function scope(s: LedgerScope, column = 'event_at'): { where: string; params: unknown[] } {
  return {
    where: `model_version = $1 AND book = ANY($2) AND ${inPeriod(column, '$3', '$4')} AND basis = $5`,
    params: [s.modelVersion, [...s.books], s.from === null ? null : new Date(s.from), new Date(s.to), s.basis],
  };
}

export async function loadRuleset(pool: pg.Pool, modelVersion: string): Promise<Ruleset> {
  const row = await pool.query<{ yaml: string; source_name: string }>('SELECT yaml, source_name FROM rulesets WHERE model_version = $1', [modelVersion]);
  if (!row.rows[0]) throw new Error(`No ruleset with model version ${modelVersion} in the database; run an attribution with it first.`);
  return parseRuleset(row.rows[0].yaml, row.rows[0].source_name);
}

/** Revenue per (book, channel, currency) from the ledger lines of the scope. */
export async function channelRevenue(pool: pg.Pool, s: LedgerScope): Promise<Map<string, ChannelRevenue[]>> {
  const q = scope(s);
  const result = await pool.query<{ book: string; channel: string; currency: string; revenue: string; accounts: number; transactions: number }>(
    `WITH per_account AS (
       SELECT book, channel, currency, account_id, sum(amount) AS amount, count(*) AS transactions
         FROM ledger_lines WHERE ${q.where}
        GROUP BY book, channel, currency, account_id)
     SELECT book, channel, currency::text AS currency, sum(amount)::text AS revenue,
            (count(*) FILTER (WHERE amount <> 0))::int AS accounts, sum(transactions)::int AS transactions
       FROM per_account GROUP BY book, channel, currency`,
    q.params,
  );
  const byBook = new Map<string, ChannelRevenue[]>();
  for (const r of result.rows) {
    const rows = byBook.get(r.book) ?? [];
    rows.push({ channel: r.channel, currency: r.currency, revenueUnits: parseAmountUnits(r.revenue), accounts: r.accounts, transactions: r.transactions });
    byBook.set(r.book, rows);
  }
  return byBook;
}

export async function decisionCounts(pool: pg.Pool, s: LedgerScope): Promise<DecisionCount[]> {
  const q = scope(s);
  const result = await pool.query<DecisionCount>(
    `SELECT book, kind, status, reason, count(*)::int AS count, sum(amount)::text AS amount
       FROM ledger_entries WHERE ${q.where}
      GROUP BY book, kind, status, reason ORDER BY book, kind, status, reason`,
    q.params,
  );
  return result.rows;
}

/** Accounts with attributed revenue under one book, per currency. */
export async function attributedAccounts(pool: pg.Pool, s: LedgerScope, book: string): Promise<Array<{ currency: string; accounts: number }>> {
  const q = scope({ ...s, books: [book] });
  const result = await pool.query<{ currency: string; accounts: number }>(
    `SELECT currency::text AS currency, count(DISTINCT account_id)::int AS accounts FROM ledger_entries
      WHERE ${q.where} AND status = 'attributed' GROUP BY currency ORDER BY currency`,
    q.params,
  );
  return result.rows;
}

/** The stored reconciliation of a run, or (no run) recomputed from billing and the ledger. */
export async function reconciliation(pool: pg.Pool, s: LedgerScope, runId: string | null): Promise<ReconciliationRow[]> {
  if (runId) return readReconciliation(pool, runId);
  const period = [s.from === null ? null : new Date(s.from), new Date(s.to)];
  return (await Promise.all(s.books.map((book) => computeReconciliation(pool, { modelVersion: s.modelVersion, basis: s.basis, book }, period)))).flat();
}

/** Revenue and accounts per UTC month, book, channel and currency. */
export async function revenueByMonth(pool: pg.Pool, s: LedgerScope): Promise<MonthRevenue[]> {
  const q = scope(s);
  const result = await pool.query<{ month: string; book: string; channel: string; currency: string; revenue: string; accounts: number }>(
    `WITH per_account AS (
       SELECT to_char(date_trunc('month', event_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month, book, channel, currency, account_id, sum(amount) AS amount
         FROM ledger_lines WHERE ${q.where}
        GROUP BY 1, book, channel, currency, account_id)
     SELECT month, book, channel, currency::text AS currency, sum(amount)::text AS revenue, (count(*) FILTER (WHERE amount <> 0))::int AS accounts
       FROM per_account GROUP BY month, book, channel, currency`,
    q.params,
  );
  return result.rows.map((r) => ({ month: r.month, book: r.book, channel: r.channel, currency: r.currency, revenueUnits: parseAmountUnits(r.revenue), accounts: r.accounts }));
}

export interface RunRow {
  runId: string;
  modelVersion: string;
  from: string | null;
  to: string;
  asOf: string;
  books: string[];
}

/** Runs of a model version whose period is exactly [from, to) (a month, or a lifetime run), newest first. */
export async function runsOf(pool: pg.Pool, modelVersion: string | null, period?: { from: string | null; to: string }): Promise<RunRow[]> {
  const result = await pool.query<{ run_id: string; model_version: string; period_from: Date | null; period_to: Date; as_of: Date; books: string[] }>(
    `SELECT run_id, model_version, period_from, period_to, as_of, books FROM attribution_runs
      WHERE ($1::text IS NULL OR model_version = $1)
        AND ($2::boolean IS NOT TRUE OR (period_from IS NOT DISTINCT FROM $3::timestamptz AND period_to = $4::timestamptz))
      ORDER BY created_at DESC, run_id`,
    [modelVersion, period !== undefined, period?.from ?? null, period ? new Date(period.to) : null],
  );
  return result.rows.map((r) => ({
    runId: r.run_id, modelVersion: r.model_version, from: r.period_from?.toISOString() ?? null, to: r.period_to.toISOString(), asOf: r.as_of.toISOString(), books: r.books,
  }));
}

/** The newest version of every input file: what the reported decisions were computed from. */
/**
 * Every ingested file version the report's runs saw (file ids up to their data version; null: every
 * one stored): older versions count too, since their rows stay in the input tables.
 */
export async function inputDataVersions(pool: pg.Pool, upToFileId: number | null = null): Promise<Array<{ dataset: string; kind: string; file: string; version: number; sha256: string; fileId: number }>> {
  const result = await pool.query<{ dataset: string; kind: string; file_name: string; version: number; content_sha256: string; file_id: string }>(
    `SELECT dataset, kind, file_name, version, content_sha256, file_id::text
       FROM ingested_files WHERE $1::bigint IS NULL OR file_id <= $1 ORDER BY file_id`,
    [upToFileId],
  );
  return result.rows.map((r) => ({ dataset: r.dataset, kind: r.kind, file: r.file_name, version: r.version, sha256: r.content_sha256, fileId: Number(r.file_id) }));
}

/** The newest data version among some runs (null when none is recorded). */
export async function dataVersionOf(pool: pg.Pool, runIds: ReadonlyArray<string>): Promise<number | null> {
  if (runIds.length === 0) return null;
  const result = await pool.query<{ v: string | null }>('SELECT max(data_version)::text AS v FROM attribution_runs WHERE run_id = ANY($1)', [[...runIds]]);
  return result.rows[0]?.v === null || result.rows[0]?.v === undefined ? null : Number(result.rows[0].v);
}

export interface ReplayChannelRow {
  book: string;
  channel: string;
  currency: string;
  old: string;
  new: string;
}

/** Old and new revenue per book, channel and currency, for two model versions over one period. */
export async function replayChannels(pool: pg.Pool, oldVersion: string, s: LedgerScope): Promise<ReplayChannelRow[]> {
  const q = scope(s);
  const result = await pool.query<ReplayChannelRow>(
    `SELECT book, channel, currency::text AS currency,
            coalesce(sum(amount) FILTER (WHERE model_version = $6), 0)::numeric(18,4)::text AS old,
            coalesce(sum(amount) FILTER (WHERE model_version = $1), 0)::numeric(18,4)::text AS new
       FROM ledger_lines
      WHERE (${q.where.replace('model_version = $1', 'model_version IN ($1, $6)')})
      GROUP BY book, channel, currency ORDER BY book, currency, channel`,
    [...q.params, oldVersion],
  );
  return result.rows;
}

export interface Mover {
  book: string;
  currency: string;
  accountId: string;
  moved: string;
}

/** Per book and currency, the accounts whose attribution moved most (sum over channels of |new − old|). */
export async function replayMovers(pool: pg.Pool, oldVersion: string, s: LedgerScope, top: number): Promise<Mover[]> {
  const q = scope(s);
  const result = await pool.query<{ book: string; account_id: string; currency: string; moved: string }>(
    `WITH per_channel AS (
       SELECT book, account_id, currency, channel,
              coalesce(sum(amount) FILTER (WHERE model_version = $1), 0) - coalesce(sum(amount) FILTER (WHERE model_version = $6), 0) AS delta
         FROM ledger_lines
        WHERE (${q.where.replace('model_version = $1', 'model_version IN ($1, $6)')})
        GROUP BY book, account_id, currency, channel),
     per_account AS (
       SELECT book, account_id, currency::text AS currency, sum(abs(delta)) AS moved,
              row_number() OVER (PARTITION BY book, currency ORDER BY sum(abs(delta)) DESC, account_id) AS rank
         FROM per_channel GROUP BY book, account_id, currency)
     SELECT book, account_id, currency, moved::numeric(18,4)::text AS moved FROM per_account
      WHERE rank <= $7 AND moved > 0 ORDER BY book, currency, rank`,
    [...q.params, oldVersion, top],
  );
  return result.rows.map((r) => ({ book: r.book, currency: r.currency, accountId: r.account_id, moved: r.moved }));
}
