// What runs wrote (docs/cli-and-worker.md, "The store layer"): every statement on
// run_shard_results (a book shard's counts, committed with its ledger rows: the shard's "done"
// mark) and run_reconciliations (per book and currency, once per run). Written once per key.
import type pg from 'pg';
import type { ReconciliationLine } from '../reporting/summary';

type Db = pg.Pool | pg.PoolClient;

export interface ShardResultKey {
  runId: string;
  book: string;
  shard: number;
}

export interface ShardResult extends ShardResultKey {
  accounts: number;
  entriesWritten: number;
  linesWritten: number;
  drift: number;
}

/** What a book shard wrote, when it is done (its row commits with its ledger rows). */
export async function storedShardResult(db: Db, key: ShardResultKey): Promise<ShardResult | undefined> {
  const done = await db.query<{ accounts: number; entries_written: number; lines_written: number; drift: number }>(
    'SELECT accounts, entries_written, lines_written, drift FROM run_shard_results WHERE run_id = $1 AND book = $2 AND shard = $3',
    [key.runId, key.book, key.shard],
  );
  const r = done.rows[0];
  return r && { ...key, accounts: r.accounts, entriesWritten: r.entries_written, linesWritten: r.lines_written, drift: r.drift };
}

/** What each of some books wrote over one shard, for the books that are done there (one round trip). */
export async function storedShardResults(db: Db, runId: string, shard: number, books: ReadonlyArray<string>): Promise<Map<string, ShardResult>> {
  const done = await db.query<{ book: string; accounts: number; entries_written: number; lines_written: number; drift: number }>(
    'SELECT book, accounts, entries_written, lines_written, drift FROM run_shard_results WHERE run_id = $1 AND shard = $2 AND book = ANY($3::text[])',
    [runId, shard, [...books]],
  );
  return new Map(done.rows.map((r) => [r.book, { runId, book: r.book, shard, accounts: r.accounts, entriesWritten: r.entries_written, linesWritten: r.lines_written, drift: r.drift }]));
}

/** Marks a book shard done, in the transaction of its ledger writes. */
export async function recordShardResult(client: pg.PoolClient, r: ShardResult): Promise<void> {
  await client.query(
    `INSERT INTO run_shard_results (run_id, book, shard, accounts, entries_written, lines_written, drift)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [r.runId, r.book, r.shard, r.accounts, r.entriesWritten, r.linesWritten, r.drift],
  );
}

/** One book and currency of a reconciliation (the shape the summary renders). */
export type ReconciliationRow = ReconciliationLine;

/** Stores one book's reconciliation rows of a run; the first stored stay. */
export async function recordReconciliation(db: Db, runId: string, book: string, rows: ReadonlyArray<ReconciliationRow>): Promise<void> {
  await db.query(
    `INSERT INTO run_reconciliations (run_id, book, currency, billing_total, attributed_total, excluded_total, excluded_by_reason, variance)
     SELECT $1, $2, r.currency, r.billing_total, r.attributed_total, r.excluded_total, r.excluded_by_reason, r.variance
       FROM jsonb_to_recordset($3::jsonb) AS r(currency text, billing_total numeric, attributed_total numeric, excluded_total numeric,
                                               excluded_by_reason jsonb, variance numeric)
     ON CONFLICT (run_id, book, currency) DO NOTHING`,
    [runId, book, JSON.stringify(rows.map((r) => ({
      currency: r.currency, billing_total: r.billingTotal, attributed_total: r.attributedTotal, excluded_total: r.excludedTotal,
      excluded_by_reason: r.excludedByReason, variance: r.variance,
    })))],
  );
}

export async function readReconciliation(db: Db, runId: string): Promise<ReconciliationRow[]> {
  const result = await db.query<{ book: string; currency: string; billing_total: string; attributed_total: string; excluded_total: string; excluded_by_reason: Record<string, string>; variance: string }>(
    'SELECT * FROM run_reconciliations WHERE run_id = $1 ORDER BY book, currency',
    [runId],
  );
  return result.rows.map((r) => ({
    book: r.book, currency: r.currency, billingTotal: r.billing_total, attributedTotal: r.attributed_total,
    excludedTotal: r.excluded_total, excludedByReason: r.excluded_by_reason, variance: r.variance,
  }));
}

/** A run's counts, for the bench: its shards and accounts with contexts, per book what it wrote, and its variances. */
export async function runWriteTotals(db: Db, runId: string): Promise<{
  shardCount: number; accounts: number; perBook: Array<{ book: string; entries: number; lines: number }>; variances: string[];
}> {
  const [run, perBook, recon] = await Promise.all([
    db.query<{ shard_count: number; accounts: string }>(
      `SELECT r.shard_count, (SELECT coalesce(sum(accounts), 0) FROM context_shards c WHERE c.context_id = r.context_id AND c.shard_count = r.shard_count)::text AS accounts
         FROM attribution_runs r WHERE run_id = $1`, [runId]),
    db.query<{ book: string; entries: string; lines: string }>(
      'SELECT book, sum(entries_written)::text AS entries, sum(lines_written)::text AS lines FROM run_shard_results WHERE run_id = $1 GROUP BY book', [runId]),
    db.query<{ variance: string }>('SELECT variance::text FROM run_reconciliations WHERE run_id = $1', [runId]),
  ]);
  return {
    shardCount: run.rows[0]?.shard_count ?? 0, accounts: Number(run.rows[0]?.accounts ?? 0),
    perBook: perBook.rows.map((b) => ({ book: b.book, entries: Number(b.entries), lines: Number(b.lines) })),
    variances: recon.rows.map((r) => r.variance),
  };
}
