// `attribution status <workflow-id>`: a running workflow answers with its progress query, a closed
// one at once from its result (or its failure's root cause): a closed workflow is never queried,
// since answering a query means replaying its whole history on a worker.
import { WorkflowNotFoundError } from '@temporalio/common';
import type { AttributionRunResult } from '../workflows/attributionRun';
import type { BackfillProgress } from '../workflows/backfill';
import type { ScheduledMonthlyRunResult } from '../workflows/scheduledMonthlyRun';
import type { ReplayResult } from '../workflows/replay';
import { rootCause } from './failure';
import { backfillProgressLine, queryBackfillProgress, queryRunProgress, runProgressLine, QUERY_DEADLINE_MS } from './follow';
import { workflowUrl, type Session } from './session';

export interface StatusView {
  workflowId: string;
  runId: string;
  type: string;
  /** Temporal's status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW. */
  status: string;
  startedAt: string;
  closedAt: string | null;
  url: string | null;
  /** Running: what its progress query answered (null when no worker answered). */
  progress: unknown;
  /** Completed: its result. */
  result: unknown;
  /** Failed, cancelled, terminated or timed out: the root cause. */
  error: { message: string; type: string | undefined } | null;
  /** The human summary lines. */
  lines: string[];
}

export class WorkflowNotFound extends Error {}

export async function workflowStatus(session: Session, workflowId: string): Promise<StatusView> {
  const handle = session.client.workflow.getHandle(workflowId);
  const d = await handle.describe().catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError) throw new WorkflowNotFound(`No workflow ${workflowId} in namespace ${session.endpoints.namespace}.`);
    throw error;
  });
  const view: StatusView = {
    workflowId, runId: d.runId, type: d.type, status: d.status.name, startedAt: d.startTime.toISOString(),
    closedAt: d.closeTime?.toISOString() ?? null, url: workflowUrl(session.endpoints, workflowId) ?? null,
    progress: null, result: null, error: null, lines: [],
  };
  if (d.status.name === 'RUNNING') {
    const child = d.raw.pendingChildren?.[0]?.workflowId ?? undefined;
    await addProgress(session, view, child);
  } else if (d.status.name === 'COMPLETED') {
    view.result = await handle.result();
    view.lines = resultLines(d.type, view.result);
  } else {
    await handle.result().catch((error: unknown) => {
      const cause = rootCause(error);
      view.error = { message: cause.message, type: cause.type };
      view.lines = [`${d.status.name.toLowerCase()}: ${cause.message}`];
    });
  }
  return view;
}

async function addProgress(session: Session, view: StatusView, childId: string | undefined): Promise<void> {
  const noWorker = `no progress: no worker answered within ${QUERY_DEADLINE_MS / 1000} s (is one running? \`attribution stack status\`)`;
  if (view.type === 'backfill' || view.type === 'replay') {
    const target = view.type === 'replay' ? `${view.workflowId}/backfill` : view.workflowId;
    const p = await queryBackfillProgress(session.client, target);
    view.progress = p;
    view.lines = p ? [backfillProgressLine(p), ...(p.backfill.currentRunId ? [`current month's run: ${p.backfill.currentRunId}`] : [])] : [noWorker];
    return;
  }
  // A scheduled month's progress is its child run's.
  const runId = view.type === 'attributionRun' ? view.workflowId : view.type === 'scheduledMonthlyRun' ? childId : undefined;
  if (!runId) return;
  const p = await queryRunProgress(session.client, runId);
  view.progress = p;
  view.lines = p ? [runProgressLine(p), `${p.accounts} accounts, ${p.entriesWritten} entries written, drift ${p.drift}`] : [noWorker];
}

function resultLines(type: string, result: unknown): string[] {
  if (type === 'scheduledMonthlyRun') {
    const s = result as ScheduledMonthlyRunResult;
    if (!s.run) return [`month ${s.month}: not run again, it was ${s.stateBefore} (${s.reason})`];
    return [`month ${s.month} (was ${s.stateBefore}): ${runLine(s.run)}`];
  }
  if (type === 'attributionRun') return [runLine(result as AttributionRunResult)];
  if (type === 'backfill') return [backfillResultLine(result as BackfillProgress)];
  if (type === 'replay') {
    const r = result as ReplayResult;
    return [backfillResultLine(r.backfill), ...(r.diff ? [`diff: ${r.diff.files.join(', ')} in ${r.diff.outDir}`] : [])];
  }
  return [];
}

function runLine(r: AttributionRunResult): string {
  const p = r.progress;
  return `${p.accounts} accounts in ${p.shardCount} shard(s); ${p.entriesWritten} entries and ${p.linesWritten} lines written, drift ${p.drift}`;
}

export function backfillResultLine(b: BackfillProgress): string {
  const failed = (b.failedMonths ?? []).length;
  return `${b.monthsDone}/${b.monthsTotal} month(s) run, ${b.monthsSkipped ?? 0} skipped (already done)${failed ? `, ${failed} failed` : ''}, ${b.entriesWritten} entries and ${b.linesWritten} lines written, drift ${b.drift}`;
}

export function printStatus(view: StatusView): void {
  console.log(`${view.type} ${view.workflowId}: ${view.status}`);
  if (view.url) console.log(`Temporal UI: ${view.url}`);
  for (const line of view.lines) console.log(line);
}

/** status's exit code: 0 running or completed, 1 failed, cancelled, terminated or timed out. */
export function statusExitCode(view: StatusView): number {
  return view.status === 'RUNNING' || view.status === 'COMPLETED' || view.status === 'CONTINUED_AS_NEW' ? 0 : 1;
}
