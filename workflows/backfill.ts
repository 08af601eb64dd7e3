// backfill: one attributionRun child per UTC month of [fromMonth, toMonth], in order, each with
// period [month, next month) and cutoff = next month: the monthly basis (docs/operations.md).
// Before each month it reads the month's state and runs only the states asked for (`reprocess`,
// default missing, failed and stale), so a restarted backfill skips the months already done. The
// child id is the run's own id, so a month already run by hand or by an earlier backfill is the
// same workflow, and the ledger writes are idempotent anyway. A failed month does not stop the
// later ones unless `failFast`; the backfill then fails naming every failed month. It continues as new every MONTHS_PER_RUN months (or when Temporal
// suggests it), carrying its cursor, so a ten-year backfill stays far below history limits.
// Cancelling it lets the month in progress finish, then stops: the ledger only ever holds whole
// months.
import {
  ApplicationFailure, CancellationScope, CancelledFailure, continueAsNew, defineQuery, executeChild, patched, proxyActivities,
  setCurrentDetails, setHandler, workflowInfo, ParentClosePolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import { monthStart, monthsBetween, nextMonth } from '../common/period';
import { rootCauseMessage } from '../common/rootCause';
import { workflowIds, type RunKind } from '../common/temporalNames';
import { DEFAULT_REPROCESS, wouldRun, type ReprocessChoice } from '../common/monthStates';
import { attributionRun, type AttributionRunInput } from './attributionRun';
import { identityAttributes, markRunning, setRunStatus } from './runAttributes';

export interface BackfillInput {
  kind: Extract<RunKind, 'backfill' | 'replay'>;
  fromMonth: string;
  toMonth: string;
  /** The run every month gets, minus its period (from, to, asOf are set per month). */
  run: Omit<AttributionRunInput, 'from' | 'to' | 'asOf' | 'kind'>;
  /** Month states to run (default DEFAULT_REPROCESS); a month already running is always waited for. */
  reprocess?: ReprocessChoice[];
  /** Stop at the first failed month instead of going on and naming the failed months at the end. */
  failFast?: boolean;
  /** Months per workflow execution before continuing as new (default MONTHS_PER_RUN). */
  monthsPerExecution?: number;
  /** Cursor carried across continue-as-new: the next month to run. */
  nextMonth?: string;
  /** Totals carried across continue-as-new. */
  carried?: BackfillTotals;
}

export interface FailedMonth {
  month: string;
  error: string;
}

export interface BackfillTotals {
  monthsDone: number;
  /** Months not run because their state was not asked for (done months, by default). */
  monthsSkipped: number;
  failedMonths: FailedMonth[];
  entriesWritten: number;
  linesWritten: number;
  drift: number;
}

export interface BackfillProgress extends BackfillTotals {
  monthsTotal: number;
  currentMonth: string | null;
  /** The workflow id of the month's run: query it for shard progress. */
  currentRunId: string | null;
  cancelled: boolean;
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('progress');

/** Months per workflow run before continuing as new (each month adds ~10 history events). */
const MONTHS_PER_RUN = 24;
/** Backfills started before month states existed replay without the state check (patched). */
const MONTH_STATES_PATCH = 'backfill-month-states';

const { monthStates } = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes', heartbeatTimeout: '30 seconds', retry: { maximumAttempts: 10, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

export async function backfill(input: BackfillInput): Promise<BackfillProgress> {
  const months = monthsBetween(input.fromMonth, input.toMonth);
  const todo = months.filter((m) => m >= (input.nextMonth ?? input.fromMonth));
  const carried = input.carried ?? { monthsDone: 0, monthsSkipped: 0, failedMonths: [], entriesWritten: 0, linesWritten: 0, drift: 0 };
  const progress: BackfillProgress = {
    ...carried, monthsSkipped: carried.monthsSkipped ?? 0, failedMonths: carried.failedMonths ?? [],
    monthsTotal: months.length, currentMonth: null, currentRunId: null, cancelled: false,
  };
  setHandler(backfillProgressQuery, () => progress);
  markRunning({ kind: input.kind, period: `${input.fromMonth}..${input.toMonth}`, modelVersion: input.run.modelVersion });

  let ranThisExecution = 0;
  for (const month of todo) {
    stopIfCancelled(progress);
    if (ranThisExecution >= (input.monthsPerExecution ?? MONTHS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof backfill>({ ...input, nextMonth: month, carried: totals(progress) });
    }
    ranThisExecution += 1;
    if (patched(MONTH_STATES_PATCH) && !(await monthWanted(input, month, progress))) continue;
    await runMonth(input, month, progress);
  }
  stopIfCancelled(progress);
  if (progress.failedMonths.length > 0) {
    setRunStatus('failed');
    const named = progress.failedMonths.map((f) => `${f.month} (${f.error})`).join('; ');
    throw ApplicationFailure.nonRetryable(`${progress.failedMonths.length} month(s) failed: ${named}`, 'BackfillMonthsFailed');
  }
  setRunStatus('completed');
  return progress;
}

/** Whether the month's state is one the backfill was asked to run; records a skip in the progress. */
async function monthWanted(input: BackfillInput, month: string, progress: BackfillProgress): Promise<boolean> {
  const [row] = await monthStates({ modelVersion: input.run.modelVersion, books: input.run.books, months: [month] });
  const state = row!.state;
  const wanted = wouldRun(state, input.reprocess ?? DEFAULT_REPROCESS).run;
  if (!wanted) progress.monthsSkipped += 1;
  setCurrentDetails(`Month ${month}: ${state} (${row!.reason}) — ${wanted ? 'running it' : 'skipped'}. ` +
    `${progress.monthsDone} run, ${progress.monthsSkipped} skipped, ${progress.failedMonths.length} failed of ${progress.monthsTotal}.`);
  return wanted;
}

/** One month as a child run; its id is the month's own run id, so a month never runs twice at once. */
async function runMonth(input: BackfillInput, month: string, progress: BackfillProgress): Promise<void> {
  const from = monthStart(month);
  const to = monthStart(nextMonth(month));
  const runInput: AttributionRunInput = { ...input.run, kind: input.kind, from, to, asOf: to };
  const childId = workflowIds.run(input.run.modelVersion, month, to, input.run.books);
  progress.currentMonth = month;
  progress.currentRunId = childId;
  try {
    // A month, once started, is finished even if the backfill is cancelled meanwhile.
    const result = await CancellationScope.nonCancellable(() =>
      executeChild(attributionRun, {
        workflowId: childId,
        args: [runInput],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: identityAttributes({ kind: input.kind, period: month, modelVersion: input.run.modelVersion }),
        staticSummary: `${input.kind} month ${month}`,
      }),
    );
    progress.monthsDone += 1;
    progress.entriesWritten += result.progress.entriesWritten;
    progress.linesWritten += result.progress.linesWritten;
    progress.drift += result.progress.drift;
  } catch (error) {
    // Without the patch (or with --fail-fast) the first failed month ends the backfill, as before.
    if (!patched(MONTH_STATES_PATCH) || input.failFast) {
      setRunStatus('failed');
      throw error;
    }
    progress.failedMonths.push({ month, error: rootCauseMessage(error) });
  } finally {
    progress.currentMonth = null;
    progress.currentRunId = null;
  }
}

/** Between months only: the ledger holds whole months. Ends the workflow as Cancelled. */
function stopIfCancelled(progress: BackfillProgress): void {
  if (!CancellationScope.current().consideredCancelled) return;
  progress.cancelled = true;
  progress.currentMonth = null;
  progress.currentRunId = null;
  setRunStatus('cancelled');
  // The server reports a cancelled workflow with its own message; the progress query keeps the count.
  throw new CancelledFailure(`Cancelled after ${progress.monthsDone} of ${progress.monthsTotal} months`);
}

function totals(p: BackfillProgress): BackfillTotals {
  return {
    monthsDone: p.monthsDone, monthsSkipped: p.monthsSkipped, failedMonths: p.failedMonths,
    entriesWritten: p.entriesWritten, linesWritten: p.linesWritten, drift: p.drift,
  };
}
