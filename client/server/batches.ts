// Stored batches after the answer: their ingestion (started now, or as soon as Temporal answers
// again) and their status (with the error of an ingestion that failed). The batches' table, and
// the retention of their bodies, are store/inputs/eventBatches.ts.
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import { batchName, eventsLoadKey } from '../../activities/ingest/loadEvents';
import { SEARCH_ATTRIBUTES, workflowIds } from '../../common/temporalNames';
import { storedBatch, unloadedBatches } from '../../store/inputs/eventBatches';
import { isLoaded as isLoadKeyLoaded, storedVersion } from '../../store/inputs/fileVersions';

export interface BatchContext {
  pool: pg.Pool;
  client: Client;
  taskQueue: string;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Starts (or finds) the batch's one ingestion workflow. */
export async function startIngestion(context: BatchContext, sha256: string): Promise<{ workflowId: string; status: string }> {
  const workflowId = workflowIds.ingestEvents(batchName(sha256));
  try {
    await context.client.workflow.start('ingestEvents', {
      workflowId,
      taskQueue: context.taskQueue,
      args: [{ batchSha256: sha256, loadKey: eventsLoadKey(sha256) }],
      // Running: attach to it. Completed: the batch is in, do nothing. Failed: try again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.kind, value: 'ingest' }],
      staticSummary: `Ingest event batch ${sha256.slice(0, 12)}`,
    });
    return { workflowId, status: 'started' };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, status: 'already loaded' };
    throw error;
  }
}

export async function isLoaded(pool: pg.Pool, sha256: string): Promise<boolean> {
  return isLoadKeyLoaded(pool, eventsLoadKey(sha256));
}

/**
 * Batches acknowledged while Temporal was away: their ingestion starts on the next try that
 * finds Temporal answering (every `intervalMs`), not only when the server restarts.
 */
export function pendingIngestions(context: BatchContext, intervalMs: number) {
  const waiting = new Set<string>();
  let busy = false;
  const retry = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const sha256 of [...waiting]) {
        await startIngestion(context, sha256);
        waiting.delete(sha256);
      }
    } catch {
      // Temporal still away: the next tick tries again.
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void retry(), intervalMs);
  timer.unref();
  return {
    add: (sha256: string) => waiting.add(sha256),
    size: () => waiting.size,
    /** Every stored batch that is not loaded (at start: ones left by a stop or a crash). */
    async addUnloaded(): Promise<void> {
      for (const sha256 of await unloadedBatches(context.pool)) waiting.add(sha256);
      await retry();
    },
    stop: () => clearInterval(timer),
  };
}

/** What GET /v1/batches/<sha256> shows: storage, load counts, and the ingestion's state in Temporal. */
export async function batchStatus(context: BatchContext, sha256: string): Promise<Record<string, unknown> | undefined> {
  const row = await storedBatch(context.pool, sha256);
  if (!row) return undefined;
  const loaded = await storedVersion(context.pool, eventsLoadKey(sha256));
  return {
    batch: sha256, events: row.events, receivedAt: row.receivedAt.toISOString(), loaded: loaded !== undefined,
    rowsLoaded: loaded?.rowsLoaded ?? null, rowsDuplicate: loaded?.rowsDuplicate ?? null,
    bodyDeletedAt: row.bodyDeletedAt?.toISOString() ?? null,
    ingestion: loaded ? { workflowId: workflowIds.ingestEvents(batchName(sha256)), status: 'completed' } : await ingestionState(context, sha256),
  };
}

async function ingestionState(context: BatchContext, sha256: string): Promise<{ workflowId: string; status: string; error?: string }> {
  const workflowId = workflowIds.ingestEvents(batchName(sha256));
  const handle = context.client.workflow.getHandle(workflowId);
  try {
    const description = await handle.describe();
    const status = description.status.name.toLowerCase();
    if (description.status.name !== 'FAILED') return { workflowId, status };
    try {
      await handle.result();
      return { workflowId, status };
    } catch (error) {
      const cause = error instanceof WorkflowFailedError ? error.cause : error;
      return { workflowId, status, error: message(cause) };
    }
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { workflowId, status: 'not started yet (it starts as soon as Temporal answers)' };
    return { workflowId, status: `unknown: Temporal does not answer (${message(error)})` };
  }
}
