// replay: a rule change. Backfills [fromMonth, toMonth] under the new ruleset's model version as
// a child backfill (the old model version's rows are untouched: new rows sit beside them), then
// writes the diff report old vs new per book and channel. Bounded by the child backfill.
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { MONTHLY_BASIS, monthStart, nextMonth } from '../common/period';
import { backfill, type BackfillInput, type BackfillProgress } from './backfill';
import { markRunning, setRunStatus } from './runAttributes';

export interface ReplayInput {
  oldModelVersion: string;
  backfill: BackfillInput;
  outDir: string;
}

export interface ReplayResult {
  backfill: BackfillProgress;
  diff: { outDir: string; files: string[]; rows: number };
}

const { writeReplayDiff } = proxyActivities<Activities>({ startToCloseTimeout: '1 hour', heartbeatTimeout: '2 minutes', retry: { maximumAttempts: 10 } });

export async function replay(input: ReplayInput): Promise<ReplayResult> {
  markRunning({ kind: 'replay', period: `${input.backfill.fromMonth}..${input.backfill.toMonth}`, modelVersion: input.backfill.run.modelVersion });
  try {
    const backfilled = await executeChild(backfill, {
      workflowId: `${workflowInfo().workflowId}/backfill`,
      args: [input.backfill],
    });
    const diff = await writeReplayDiff({
      oldModelVersion: input.oldModelVersion,
      newModelVersion: input.backfill.run.modelVersion,
      basis: MONTHLY_BASIS,
      from: monthStart(input.backfill.fromMonth),
      to: monthStart(nextMonth(input.backfill.toMonth)),
      books: input.backfill.run.books,
      outDir: input.outDir,
    });
    setRunStatus('completed');
    return { backfill: backfilled, diff };
  } catch (error) {
    setRunStatus('failed');
    throw error;
  }
}
