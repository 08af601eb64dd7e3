// Stored batches after the answer: their ingestion (started now, or as soon as Temporal answers
// again), their status (with the error of an ingestion that failed), and the retention of their
// bodies (a loaded batch's body is deleted after the retention period; its row and sha256 stay).
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type pg from 'pg';
import { batchName, eventsLoadKey } from '../../activities/ingest/loadEvents';
import { SEARCH_ATTRIBUTES, workflowIds } from '../../common/temporalNames';

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
  return (await pool.query('SELECT 1 FROM ingested_files WHERE load_key = $1', [eventsLoadKey(sha256)])).rowCount! > 0;
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
      const rows = await context.pool.query<{ batch_sha256: string }>(
        `SELECT b.batch_sha256 FROM event_batches b
          WHERE NOT EXISTS (SELECT 1 FROM ingested_files f WHERE f.load_key = encode(sha256(convert_to(E'events\\n' || b.batch_sha256, 'UTF8')), 'hex'))
          ORDER BY b.received_at`,
      );
      for (const r of rows.rows) waiting.add(r.batch_sha256);
      await retry();
    },
    stop: () => clearInterval(timer),
  };
}

/** What GET /v1/batches/<sha256> shows: storage, load counts, and the ingestion's state in Temporal. */
export async function batchStatus(context: BatchContext, sha256: string): Promise<Record<string, unknown> | undefined> {
  const batch = await context.pool.query<{ events: number; received_at: Date; body_deleted_at: Date | null }>(
    'SELECT events, received_at, body_deleted_at FROM event_batches WHERE batch_sha256 = $1', [sha256]);
  const row = batch.rows[0];
  if (!row) return undefined;
  const file = await context.pool.query<{ rows_loaded: number; rows_duplicate: number }>(
    'SELECT rows_loaded, rows_duplicate FROM ingested_files WHERE load_key = $1', [eventsLoadKey(sha256)]);
  const loaded = file.rows[0];
  return {
    batch: sha256, events: row.events, receivedAt: row.received_at.toISOString(), loaded: loaded !== undefined,
    rowsLoaded: loaded?.rows_loaded ?? null, rowsDuplicate: loaded?.rows_duplicate ?? null,
    bodyDeletedAt: row.body_deleted_at?.toISOString() ?? null,
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

/** Deletes the bodies of loaded batches received more than `retainDays` ago; returns how many. */
export async function applyRetention(pool: pg.Pool, retainDays: number): Promise<number> {
  const result = await pool.query(
    `UPDATE event_batches b SET body = NULL, body_deleted_at = now()
      WHERE b.body IS NOT NULL AND b.received_at < now() - make_interval(days => $1)
        AND EXISTS (SELECT 1 FROM ingested_files f WHERE f.load_key = encode(sha256(convert_to(E'events\\n' || b.batch_sha256, 'UTF8')), 'hex'))`,
    [retainDays],
  );
  return result.rowCount ?? 0;
}
