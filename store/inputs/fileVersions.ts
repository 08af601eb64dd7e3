// The ingested_files and ingest_rejects tables: one row per loaded version of a source (a CSV
// file, an events file, a journey file, an HTTP batch), found again by its load key, and the
// quarantined rows of that version (docs/decisions.md, "Versions"). The protocol that uses them
// is activities/ingest/fileVersion.ts; these statements run inside its transaction.
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

export interface VersionCounts {
  rowsRead: number;
  rowsLoaded: number;
  /** Rows whose id was already stored with identical content. */
  rowsDuplicate: number;
  rowsRejected: number;
}

export interface RejectedRow {
  line: number;
  column: string | undefined;
  value: string | undefined;
  reason: string;
}

export interface FileVersion {
  fileId: string;
  version: number;
}

/** What a completed version records: its real checksum and load key, its counts and its quarantined rows. */
export interface CompletedVersion extends VersionCounts {
  contentSha256: string;
  loadKey: string;
  rejects: ReadonlyArray<RejectedRow>;
}

/** The version loaded with this load key, with its counts; undefined when none was. */
export async function storedVersion(db: Db, loadKey: string): Promise<(VersionCounts & { version: number }) | undefined> {
  const found = await db.query<{ version: number; rows_read: number; rows_loaded: number; rows_duplicate: number; rows_rejected: number }>(
    'SELECT version, rows_read, rows_loaded, rows_duplicate, rows_rejected FROM ingested_files WHERE load_key = $1',
    [loadKey],
  );
  const p = found.rows[0];
  return p && { version: p.version, rowsRead: p.rows_read, rowsLoaded: p.rows_loaded, rowsDuplicate: p.rows_duplicate, rowsRejected: p.rows_rejected };
}

/** Whether a version with this load key is stored. */
export async function isLoaded(db: Db, loadKey: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM ingested_files WHERE load_key = $1', [loadKey])).rowCount! > 0;
}

/**
 * A pending row that gives the version its id and its number (the next of its dataset and kind).
 * The real checksum is known only after reading: completeVersion fills it in before commit. The
 * caller holds the advisory lock of the dataset and kind, so version numbers stay exact.
 */
export async function insertPendingVersion(client: pg.PoolClient, key: { dataset: string; kind: string; fileName: string }): Promise<FileVersion> {
  const row = await client.query<{ file_id: string; version: number }>(
    `INSERT INTO ingested_files (dataset, kind, file_name, content_sha256, load_key, version, rows_read, rows_loaded, rows_duplicate, rows_rejected)
     VALUES ($1, $2, $3, 'pending', 'pending:' || txid_current(), coalesce((SELECT max(version) FROM ingested_files WHERE dataset = $1 AND kind = $2), 0) + 1, 0, 0, 0, 0)
     RETURNING file_id, version`,
    [key.dataset, key.kind, key.fileName],
  );
  return { fileId: row.rows[0]!.file_id, version: row.rows[0]!.version };
}

/** Stores the version's quarantined rows and completes its pending row. */
export async function completeVersion(client: pg.PoolClient, fileId: string, done: CompletedVersion): Promise<void> {
  const rejects = done.rejects;
  if (rejects.length > 0) {
    await client.query(
      `INSERT INTO ingest_rejects (file_id, line, column_name, value, reason)
       SELECT $1::bigint, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])`,
      [fileId, rejects.map((r) => r.line), rejects.map((r) => r.column ?? null), rejects.map((r) => r.value ?? null), rejects.map((r) => r.reason)],
    );
  }
  await client.query(
    `UPDATE ingested_files SET content_sha256 = $2, load_key = $3, rows_read = $4, rows_loaded = $5, rows_duplicate = $6, rows_rejected = $7
     WHERE file_id = $1`,
    [fileId, done.contentSha256, done.loadKey, done.rowsRead, done.rowsLoaded, done.rowsDuplicate, done.rowsRejected],
  );
}

/** ANALYZE the tables a load wrote (a comma-separated list of input tables), so the run's joins get sensible plans. */
export async function analyzeTables(db: Db, tables: string): Promise<void> {
  await db.query(`ANALYZE ${tables}`);
}
