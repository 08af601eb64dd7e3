// event_batches: the batches `attribution serve` received, stored (committed) before the sender
// gets its answer, keyed by the sha256 of the body (docs/decisions.md, "serve"). A batch is
// loaded when ingested_files holds a version with its events load key
// (sha256 of `events\n<batch sha256>`, activities/ingest/loadEvents.ts eventsLoadKey); a loaded
// batch's body is deleted after the retention period, its row and sha256 stay.
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

/** The events load key of a batch, computed in SQL: the same as eventsLoadKey(batch_sha256). */
const BATCH_LOAD_KEY = `encode(sha256(convert_to(E'events\\n' || b.batch_sha256, 'UTF8')), 'hex')`;

/** Stores a batch (autocommit: durable when this returns); a batch stored before is left as it is. */
export async function storeBatch(db: Db, batch: { sha256: string; body: string; events: number }): Promise<void> {
  await db.query(
    'INSERT INTO event_batches (batch_sha256, body, events) VALUES ($1, $2, $3) ON CONFLICT (batch_sha256) DO NOTHING',
    [batch.sha256, batch.body, batch.events],
  );
}

/** The body of a stored batch; undefined when there is no such batch (or its body was deleted). */
export async function batchBody(db: Db, sha256: string): Promise<string | undefined> {
  const batch = await db.query<{ body: string | null }>('SELECT body FROM event_batches WHERE batch_sha256 = $1', [sha256]);
  return batch.rows[0]?.body ?? undefined;
}

export interface StoredBatch {
  events: number;
  receivedAt: Date;
  bodyDeletedAt: Date | null;
}

export async function storedBatch(db: Db, sha256: string): Promise<StoredBatch | undefined> {
  const batch = await db.query<{ events: number; received_at: Date; body_deleted_at: Date | null }>(
    'SELECT events, received_at, body_deleted_at FROM event_batches WHERE batch_sha256 = $1', [sha256]);
  const row = batch.rows[0];
  return row && { events: row.events, receivedAt: row.received_at, bodyDeletedAt: row.body_deleted_at };
}

/** The stored batches that are not loaded, oldest first. */
export async function unloadedBatches(db: Db): Promise<string[]> {
  const rows = await db.query<{ batch_sha256: string }>(
    `SELECT b.batch_sha256 FROM event_batches b
      WHERE NOT EXISTS (SELECT 1 FROM ingested_files f WHERE f.load_key = ${BATCH_LOAD_KEY})
      ORDER BY b.received_at`,
  );
  return rows.rows.map((r) => r.batch_sha256);
}

/** Deletes the bodies of loaded batches received more than `retainDays` ago; returns how many. */
export async function deleteLoadedBodies(db: Db, retainDays: number): Promise<number> {
  const result = await db.query(
    `UPDATE event_batches b SET body = NULL, body_deleted_at = now()
      WHERE b.body IS NOT NULL AND b.received_at < now() - make_interval(days => $1)
        AND EXISTS (SELECT 1 FROM ingested_files f WHERE f.load_key = ${BATCH_LOAD_KEY})`,
    [retainDays],
  );
  return result.rowCount ?? 0;
}
