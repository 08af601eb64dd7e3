// replay: a rule change. Backfills [fromMonth, toMonth] under the new ruleset's model version as
// a child backfill (the old model version's rows are untouched: new rows sit beside them), then
// the command that started it writes the diff report old vs new per book and channel from the
// ledger, in its own process (docs/reports.md). Bounded by the child backfill.
import { executeChild, patched, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { monthStart, nextMonth } from '../common/period';
import { SEARCH_ATTRIBUTES } from '../common/temporalNames';
import type { BackfillInput, BackfillProgress } from './backfill';

export interface ReplayInput {
  oldModelVersion: string;
  backfill: BackfillInput;
  /** Ignored by new executions: the command writes the diff (kept for replays started by older clients). */
  outDir?: string;
}

export interface ReplayResult {
  backfill: BackfillProgress;
  /** Only in executions from before reports moved to the command (null since). */
  diff: { outDir: string; files: string[]; rows: number } | null;
}

/** The activity these older executions called; no worker registers it any more. */
interface LegacyReportActivities {
  writeReplayDiff(input: { oldModelVersion: string; newModelVersion: string; from: string; to: string; books: string[]; outDir: string }):
    Promise<{ outDir: string; files: string[]; rows: number }>;
}

const { writeReplayDiff } = proxyActivities<LegacyReportActivities>({ startToCloseTimeout: '1 hour', heartbeatTimeout: '2 minutes', retry: { maximumAttempts: 10 } });

export async function replay(input: ReplayInput): Promise<ReplayResult> {
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTES.kind, value: 'replay' },
    { key: SEARCH_ATTRIBUTES.period, value: `${input.backfill.fromMonth}..${input.backfill.toMonth}` },
    { key: SEARCH_ATTRIBUTES.modelVersion, value: input.backfill.run.modelVersion },
    { key: SEARCH_ATTRIBUTES.status, value: 'running' },
  ]);
  try {
    const backfill = (await executeChild('backfill', {
      workflowId: `${workflowInfo().workflowId}/backfill`,
      args: [input.backfill],
    })) as BackfillProgress;
    // Recorded executions wrote the diff on the worker; new ones leave it to the command.
    if (patched('reports-written-by-the-command')) {
      upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: 'completed' }]);
      return { backfill, diff: null };
    }
    const diff = await writeReplayDiff({
      oldModelVersion: input.oldModelVersion,
      newModelVersion: input.backfill.run.modelVersion,
      from: monthStart(input.backfill.fromMonth),
      to: monthStart(nextMonth(input.backfill.toMonth)),
      books: input.backfill.run.books,
      outDir: input.outDir ?? '',
    });
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: 'completed' }]);
    return { backfill, diff };
  } catch (error) {
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: 'failed' }]);
    throw error;
  }
}
