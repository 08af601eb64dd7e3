// Following a workflow from the CLI: the progress lines of runs and backfills (their `progress`
// queries, each bounded by a deadline so that a missing worker shows as "no progress", not a hang),
// and waiting for a backfill's or replay's result with that progress on screen.
import type { Client, WorkflowHandle } from '@temporalio/client';
import { progressQuery, type RunProgress } from '../workflows/attributionRun';
import { backfillProgressQuery, type BackfillProgress } from '../workflows/backfill';
import { startTicker, textBar, type Ticker } from './progress';

/** A query needs a worker to answer it; past this, we say none did instead of waiting. */
export const QUERY_DEADLINE_MS = 5000;

export interface BackfillView {
  backfill: BackfillProgress;
  /** The month in progress, when its run answers. */
  run: RunProgress | null;
}

export async function queryRunProgress(client: Client, workflowId: string): Promise<RunProgress | null> {
  try {
    return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => client.workflow.getHandle(workflowId).query(progressQuery));
  } catch {
    return null;
  }
}

export async function queryBackfillProgress(client: Client, workflowId: string): Promise<BackfillView | null> {
  let backfill: BackfillProgress;
  try {
    backfill = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => client.workflow.getHandle(workflowId).query(backfillProgressQuery));
  } catch {
    return null;
  }
  const run = backfill.currentRunId ? await queryRunProgress(client, backfill.currentRunId) : null;
  return { backfill, run };
}

export function runProgressLine(p: RunProgress): string {
  return `${p.phase}: contexts ${p.contextShardsDone}/${p.shardCount} shards, books ${p.bookShardsDone}/${p.bookShardsTotal} shard tasks, ${p.linesWritten} lines written`;
}

export function backfillProgressLine({ backfill: b, run }: BackfillView): string {
  const month = b.currentMonth ? ` | ${b.currentMonth}${run ? ` ${run.phase} ${run.bookShardsDone}/${run.bookShardsTotal}` : ''}` : '';
  return `months ${textBar(b.monthsDone, b.monthsTotal)}${month} | ${b.linesWritten + (run?.linesWritten ?? 0)} lines`;
}

export function watchRun(client: Client, workflowId: string): Ticker {
  return startTicker(async () => {
    const p = await queryRunProgress(client, workflowId);
    return p && `  ${runProgressLine(p)}`;
  });
}

export function watchBackfill(client: Client, backfillWorkflowId: string): Ticker {
  return startTicker(async () => {
    const view = await queryBackfillProgress(client, backfillWorkflowId);
    return view && backfillProgressLine(view);
  });
}

/**
 * Waits for a workflow's result with a progress ticker on screen; the ticker is stopped before
 * this returns or throws, so what the caller prints next is never overwritten.
 */
export async function resultWithProgress<T>(handle: WorkflowHandle, ticker: Ticker): Promise<T> {
  try {
    return (await handle.result()) as T;
  } finally {
    await ticker.stop();
  }
}
