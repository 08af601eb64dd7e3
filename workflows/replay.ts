// replay: a rule change. Backfills [fromMonth, toMonth] under the new ruleset's model version as
// a child backfill (the old model version's rows are untouched: new rows sit beside them), then
// writes the diff report old vs new per book and channel. Bounded by the child backfill.
import { executeChild, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { monthStart, nextMonth } from '../common/period';
import { SEARCH_ATTRIBUTES } from '../common/temporalNames';
import type { BackfillInput, BackfillProgress } from './backfill';

export interface ReplayInput {
  oldModelVersion: string;
  backfill: BackfillInput;
  outDir: string;
}

export interface ReplayResult {
  backfill: BackfillProgress;
  diff: { outDir: string; files: string[]; rows: number };
}

const { writeReplayDiff } = proxyActivities<Activities>({ startToCloseTimeout: '1 hour', heartbeatTimeout: '20 seconds', retry: { maximumAttempts: 10 } });

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
    const diff = await writeReplayDiff({
      oldModelVersion: input.oldModelVersion,
      newModelVersion: input.backfill.run.modelVersion,
      from: monthStart(input.backfill.fromMonth),
      to: monthStart(nextMonth(input.backfill.toMonth)),
      books: input.backfill.run.books,
      outDir: input.outDir,
    });
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: 'completed' }]);
    return { backfill, diff };
  } catch (error) {
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: 'failed' }]);
    throw error;
  }
}
