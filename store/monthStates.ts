// The month grid (docs/operations.md, "The month grid"): the state of each UTC month under one
// model version and book set, on the monthly basis. A month is
//   missing  no run of it was recorded,
//   running  its latest run has started and has no outcome yet,
//   failed   its latest run failed,
//   stale    its latest run completed, but a file version loaded after that run's data version
//            has rows before the month's cutoff (or the run predates data versions),
//   done     otherwise.
import type pg from 'pg';
import type { MonthState } from '../common/monthStates';
import { MONTHLY_BASIS, monthStart, nextMonth } from '../common/period';
import { fileSpansAfter, spanAffects, type FileSpan } from './fileSpans';

type Db = pg.Pool | pg.PoolClient;

export type { MonthState } from '../common/monthStates';

export interface MonthGridKey {
  modelVersion: string;
  books: ReadonlyArray<string>;
}

export interface MonthRow {
  month: string;
  state: MonthState;
  /** Why the month is in its state, in a sentence. */
  reason: string;
  runId: string | null;
  workflowId: string | null;
  finishedAt: string | null;
  entries: number;
  lines: number;
  drift: number;
  dataVersion: number | null;
}

interface LatestRun {
  month: string;
  run_id: string;
  workflow_id: string;
  data_version: string | null;
  created_at: Date;
  status: 'completed' | 'failed' | null;
  finished_at: Date | null;
  entries_written: number | null;
  lines_written: number | null;
  drift: number | null;
  error: string | null;
}

/** One row per month, in order. `persist: false` writes nothing (a dry run). */
export async function monthGrid(db: Db, key: MonthGridKey, months: ReadonlyArray<string>, options: { persist: boolean }): Promise<MonthRow[]> {
  const latest = await latestMonthRuns(db, key, months);
  const versions = [...latest.values()].map((r) => Number(r.data_version ?? 0));
  const spans = versions.length === 0 ? [] : await fileSpansAfter(db, Math.min(...versions), options);
  return months.map((month) => monthRow(month, latest.get(month), spans));
}

async function latestMonthRuns(db: Db, key: MonthGridKey, months: ReadonlyArray<string>): Promise<Map<string, LatestRun>> {
  const result = await db.query<LatestRun>(
    `SELECT DISTINCT ON (r.period_from) to_char(r.period_from AT TIME ZONE 'UTC', 'YYYY-MM') AS month,
            r.run_id, r.workflow_id, r.data_version::text, r.created_at,
            o.status, o.finished_at, o.entries_written, o.lines_written, o.drift, o.error
       FROM attribution_runs r LEFT JOIN run_outcomes o USING (run_id)
      WHERE r.model_version = $1 AND r.basis = $2
        AND r.period_from = ANY($3::timestamptz[])
        AND (SELECT array_agg(b ORDER BY b) FROM unnest(r.books) b) = $4::text[]
      ORDER BY r.period_from, r.created_at DESC`,
    [key.modelVersion, MONTHLY_BASIS, months.map(monthStart), [...key.books].sort()],
  );
  return new Map(result.rows.map((r) => [r.month, r]));
}

function monthRow(month: string, run: LatestRun | undefined, spans: ReadonlyArray<FileSpan>): MonthRow {
  if (!run) {
    return { month, state: 'missing', reason: 'no run of this month under this model version and books', runId: null, workflowId: null,
      finishedAt: null, entries: 0, lines: 0, drift: 0, dataVersion: null };
  }
  const base = {
    month, runId: run.run_id, workflowId: run.workflow_id, finishedAt: run.finished_at?.toISOString() ?? null,
    entries: run.entries_written ?? 0, lines: run.lines_written ?? 0, drift: run.drift ?? 0,
    dataVersion: run.data_version === null ? null : Number(run.data_version),
  };
  if (run.status === null) return { ...base, state: 'running', reason: `started ${run.created_at.toISOString()}, not finished yet` };
  if (run.status === 'failed') return { ...base, state: 'failed', reason: run.error ?? 'the run failed' };
  return { ...base, ...freshness(month, base.dataVersion, spans) };
}

function freshness(month: string, dataVersion: number | null, spans: ReadonlyArray<FileSpan>): { state: MonthState; reason: string } {
  if (dataVersion === null) return { state: 'stale', reason: 'computed before data versions were recorded; run it again to confirm' };
  const cutoff = new Date(monthStart(nextMonth(month)));
  const late = spans.filter((s) => s.fileId > dataVersion && spanAffects(s, cutoff));
  if (late.length === 0) return { state: 'done', reason: `computed from data version ${dataVersion}; nothing loaded since changes it` };
  const named = late.slice(0, 3).map((s) => s.label).join(', ') + (late.length > 3 ? ` and ${late.length - 3} more` : '');
  return { state: 'stale', reason: `loaded after its run (data version ${dataVersion}) with rows before ${cutoff.toISOString()}: ${named}` };
}
