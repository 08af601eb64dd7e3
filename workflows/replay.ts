// replay: a rule change. Backfills [fromMonth, toMonth] under the new ruleset's model version as
// a child backfill (the old model version's rows are untouched: new rows sit beside them), then
// the command that started it writes the diff report old vs new per book and channel from the
// ledger, in its own process (docs/reports.md). Bounded by the child backfill.
import { executeChild, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { monthStart, nextMonth } from '../common/period';
import { backfill, type BackfillInput, type BackfillProgress } from './backfill';
import { markRunning, setRunStatus } from './runAttributes';

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

const { writeReplayDiff } = proxyActivities<LegacyReportActivities>({ startToCloseTimeout: '1 hour', heartbeatTimeout: '20 seconds', retry: { maximumAttempts: 10 } });

export async function replay(input: ReplayInput): Promise<ReplayResult> {
  markRunning({ kind: 'replay', period: `${input.backfill.fromMonth}..${input.backfill.toMonth}`, modelVersion: input.backfill.run.modelVersion });
  try {
    const backfilled = await executeChild(backfill, {
      workflowId: `${workflowInfo().workflowId}/backfill`,
      args: [input.backfill],
    });
    // Recorded executions wrote the diff on the worker; new ones leave it to the command.
    if (patched('reports-written-by-the-command')) {
      setRunStatus('completed');
      return { backfill: backfilled, diff: null };
    }
    const diff = await writeReplayDiff({
      oldModelVersion: input.oldModelVersion,
      newModelVersion: input.backfill.run.modelVersion,
      from: monthStart(input.backfill.fromMonth),
      to: monthStart(nextMonth(input.backfill.toMonth)),
      books: input.backfill.run.books,
      outDir: input.outDir ?? '',
    });
    setRunStatus('completed');
    return { backfill: backfilled, diff };
  } catch (error) {
    setRunStatus('failed');
    throw error;
  }
}
