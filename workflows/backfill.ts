// backfill: one attributionRun child per UTC month of [fromMonth, toMonth], in order, each with
// period [month, next month) and cutoff = next month (SPEC §9). The child id is the run's own id,
// so a month already run by hand or by an earlier backfill is the same workflow, and the ledger
// writes are idempotent anyway. It continues as new every MONTHS_PER_RUN months (or when Temporal
// suggests it), carrying its cursor, so a ten-year backfill stays far below history limits.
// Cancelling it lets the month in progress finish, then stops: the ledger only ever holds whole
// months.
import {
  CancellationScope, CancelledFailure, continueAsNew, defineQuery, executeChild, setHandler,
  upsertSearchAttributes, workflowInfo, ParentClosePolicy,
} from '@temporalio/workflow';
import { monthStart, monthsBetween, nextMonth } from '../common/period';
import { SEARCH_ATTRIBUTES, workflowIds, type RunKind } from '../common/temporalNames';
import type { AttributionRunInput, AttributionRunResult } from './attributionRun';

export interface BackfillInput {
  kind: Extract<RunKind, 'backfill' | 'replay'>;
  fromMonth: string;
  toMonth: string;
  /** The run every month gets, minus its period (from, to, asOf are set per month). */
  run: Omit<AttributionRunInput, 'from' | 'to' | 'asOf' | 'kind'>;
  /** Months per workflow execution before continuing as new (default MONTHS_PER_RUN). */
  monthsPerExecution?: number;
  /** Cursor carried across continue-as-new: the next month to run. */
  nextMonth?: string;
  /** Totals carried across continue-as-new. */
  carried?: BackfillTotals;
}

export interface BackfillTotals {
  monthsDone: number;
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

export async function backfill(input: BackfillInput): Promise<BackfillProgress> {
  const months = monthsBetween(input.fromMonth, input.toMonth);
  const todo = months.filter((m) => m >= (input.nextMonth ?? input.fromMonth));
  const progress: BackfillProgress = {
    ...(input.carried ?? { monthsDone: 0, entriesWritten: 0, linesWritten: 0, drift: 0 }),
    monthsTotal: months.length, currentMonth: null, currentRunId: null, cancelled: false,
  };
  setHandler(backfillProgressQuery, () => progress);
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.kind, value: input.kind },
    { key: SEARCH_ATTRIBUTES.period, value: `${input.fromMonth}..${input.toMonth}` },
    { key: SEARCH_ATTRIBUTES.modelVersion, value: input.run.modelVersion },
    { key: SEARCH_ATTRIBUTES.status, value: 'running' },
  ]);

  let ranThisExecution = 0;
  for (const month of todo) {
    stopIfCancelled(progress);
    if (ranThisExecution >= (input.monthsPerExecution ?? MONTHS_PER_RUN) || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof backfill>({ ...input, nextMonth: month, carried: totals(progress) });
    }
    const from = monthStart(month);
    const to = monthStart(nextMonth(month));
    const runInput: AttributionRunInput = { ...input.run, kind: input.kind, from, to, asOf: to };
    const childId = workflowIds.run(input.run.modelVersion, month, to, input.run.books);
    progress.currentMonth = month;
    progress.currentRunId = childId;
    try {
      // A month, once started, is finished even if the backfill is cancelled meanwhile.
      const result = await CancellationScope.nonCancellable(() =>
        executeChild('attributionRun', {
          workflowId: childId,
          args: [runInput],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTES.kind, value: input.kind },
            { key: SEARCH_ATTRIBUTES.period, value: month },
            { key: SEARCH_ATTRIBUTES.modelVersion, value: input.run.modelVersion },
          ],
          staticSummary: `${input.kind} month ${month}`,
        }),
      ) as AttributionRunResult;
      progress.monthsDone += 1;
      progress.entriesWritten += result.progress.entriesWritten;
      progress.linesWritten += result.progress.linesWritten;
      progress.drift += result.progress.drift;
      ranThisExecution += 1;
      progress.currentMonth = null;
      progress.currentRunId = null;
    } catch (error) {
      upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: 'failed' }]);
      throw error;
    }
  }
  stopIfCancelled(progress);
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: 'completed' }]);
  return progress;
}

/** Between months only: the ledger holds whole months. Ends the workflow as Cancelled. */
function stopIfCancelled(progress: BackfillProgress): void {
  if (!CancellationScope.current().consideredCancelled) return;
  progress.cancelled = true;
  progress.currentMonth = null;
  progress.currentRunId = null;
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: 'cancelled' }]);
  // The server reports a cancelled workflow with its own message; the progress query keeps the count.
  throw new CancelledFailure(`Cancelled after ${progress.monthsDone} of ${progress.monthsTotal} months`);
}

function totals(p: BackfillProgress): BackfillTotals {
  return { monthsDone: p.monthsDone, entriesWritten: p.entriesWritten, linesWritten: p.linesWritten, drift: p.drift };
}
