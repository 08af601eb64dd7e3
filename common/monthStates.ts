// The states of a month on the monthly basis, and which of them a backfill runs
// (docs/operations.md, "The month grid"). Workflow-safe: no imports.

export const MONTH_STATES = ['done', 'running', 'failed', 'missing', 'stale'] as const;
export type MonthState = (typeof MONTH_STATES)[number];

/** What `--reprocess` accepts: a month running now is always waited for, a done one only with `all`. */
export type ReprocessChoice = Exclude<MonthState, 'running' | 'done'> | 'all';
export const REPROCESS_CHOICES: ReadonlyArray<ReprocessChoice> = ['missing', 'failed', 'stale', 'all'];
export const DEFAULT_REPROCESS: ReadonlyArray<ReprocessChoice> = ['missing', 'failed', 'stale'];

/** Whether a backfill with these choices runs a month in this state, and why. */
export function wouldRun(state: MonthState, reprocess: ReadonlyArray<ReprocessChoice>): { run: boolean; why: string } {
  if (state === 'running') return { run: true, why: 'running: the backfill waits for it in order' };
  if (reprocess.includes('all')) return { run: true, why: '--reprocess all' };
  if (reprocess.includes(state as ReprocessChoice)) return { run: true, why: `${state} is in --reprocess ${reprocess.join(',')}` };
  return { run: false, why: `${state} is not in --reprocess ${reprocess.join(',')}` };
}
