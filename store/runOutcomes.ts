// How runs ended (run_outcomes) and what they found drifted (ledger_drift): the month grid's and
// `attribution drift`'s sources. Outcomes are written once per run; drift rows by the ledger writer.
import type pg from 'pg';
import { MONTHLY_BASIS, monthStart } from '../common/period';

type Db = pg.Pool | pg.PoolClient;

export interface RunOutcome {
  runId: string;
  status: 'completed' | 'failed';
  entriesWritten: number;
  linesWritten: number;
  drift: number;
  /** The root cause of a failure, cut to a readable length. */
  error: string | null;
}

/** The longest failure message kept: enough for the root cause, never a whole history. */
const MAX_ERROR_LENGTH = 1000;

/** Records how a run ended; the first outcome stays (a retried activity writes nothing new). */
export async function recordRunOutcome(db: Db, outcome: RunOutcome): Promise<void> {
  await db.query(
    `INSERT INTO run_outcomes (run_id, status, entries_written, lines_written, drift, error)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id) DO NOTHING`,
    [outcome.runId, outcome.status, outcome.entriesWritten, outcome.linesWritten, outcome.drift,
      outcome.error === null ? null : outcome.error.slice(0, MAX_ERROR_LENGTH)],
  );
}

export interface DecisionSide {
  status: string;
  reason: string;
  amount: string;
  account: string | null;
  /** `channel=amount,...` in channel order; empty for excluded decisions. */
  lines: string;
}

export interface DriftRow {
  runId: string;
  storedRunId: string;
  book: string;
  kind: string;
  transactionId: string;
  stored: DecisionSide;
  recomputed: DecisionSide;
}

/** The drift that runs of one month (monthly basis) recorded under a model version, in key order. */
export async function monthDrift(db: Db, key: { modelVersion: string; month: string; books?: ReadonlyArray<string> }): Promise<DriftRow[]> {
  const result = await db.query<{ run_id: string; stored_run_id: string; book: string; kind: string; transaction_id: string; stored: DecisionSide; recomputed: DecisionSide }>(
    `SELECT d.run_id, d.stored_run_id, d.book, d.kind, d.transaction_id, d.stored, d.recomputed
       FROM ledger_drift d JOIN attribution_runs r USING (run_id)
      WHERE d.model_version = $1 AND d.basis = $2 AND r.period_from = $3::timestamptz
        AND ($4::text[] IS NULL OR d.book = ANY($4::text[]))
      ORDER BY r.created_at, d.book, d.kind, d.transaction_id`,
    [key.modelVersion, MONTHLY_BASIS, monthStart(key.month), key.books ? [...key.books] : null],
  );
  return result.rows.map((r) => ({
    runId: r.run_id, storedRunId: r.stored_run_id, book: r.book, kind: r.kind, transactionId: r.transaction_id,
    stored: r.stored, recomputed: r.recomputed,
  }));
}
