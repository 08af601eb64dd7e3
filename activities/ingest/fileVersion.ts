// The file-version protocol that the CSV and the events loaders share (docs/decisions.md,
// "Versions"). One version of one file loads in one transaction, all or nothing:
//   1. an advisory lock (per dataset and kind for CSV files, one for all events), so version
//      numbers, no-op checks and the new/repeat/contradiction split of ids stay exact;
//   2. a load key seen before is a no-op that reports what that load did (`unchanged`);
//   3. otherwise a pending `ingested_files` row gives the version its id and number, the loader's
//      body reads, validates and writes the rows, and the row is completed before commit with
//      the real checksum and the counts; quarantined rows go to `ingest_rejects`.
// Any failure rolls everything back; a retry after a crash finds either the committed version
// or nothing of it.
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';

export interface VersionKey {
  dataset: string;
  /** `payments`, ..., or `events` */
  kind: string;
  fileName: string;
  /** The load key seen when the source was listed. */
  expectedLoadKey: string;
  /** The advisory lock that loads of this kind of source take, one at a time. */
  lockKey: string;
  /**
   * Advisory locks the body takes later (refundBalance.ts): taken here, before the body locks any
   * table, so that two loads never wait on each other's table and lock at once (a deadlock).
   */
  laterLocks?: ReadonlyArray<string>;
}

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

/** What a loader's body hands back once its rows are written. */
export interface LoadedBody extends VersionCounts {
  contentSha256: string;
  loadKey: string;
  /** Quarantined rows to keep in ingest_rejects (a strict load has none). */
  rejects: RejectedRow[];
  /** Tables to ANALYZE after commit, so that the run's joins get sensible plans. */
  analyze: string;
}

export type VersionResult = VersionCounts & { status: 'loaded' | 'unchanged'; version: number; rejects: RejectedRow[] };

export interface FileVersion {
  fileId: string;
  version: number;
}

export async function loadFileVersion(
  pool: pg.Pool, key: VersionKey,
  body: (client: pg.PoolClient, file: FileVersion) => Promise<LoadedBody>,
  describeFailure: (error: unknown) => unknown,
): Promise<VersionResult> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key.lockKey]);
    for (const lock of key.laterLocks ?? []) await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [lock]);
    const previous = await storedVersion(client, key.expectedLoadKey);
    if (previous) {
      await client.query('ROLLBACK');
      return { ...previous, status: 'unchanged', rejects: [] };
    }
    const file = await pendingVersion(client, key);
    const loaded = await body(client, file);
    await completeVersion(client, file.fileId, loaded);
    await client.query('COMMIT');
    await client.query(`ANALYZE ${loaded.analyze}`);
    const { rowsRead, rowsLoaded, rowsDuplicate, rowsRejected } = loaded;
    return { status: 'loaded', version: file.version, rowsRead, rowsLoaded, rowsDuplicate, rowsRejected, rejects: loaded.rejects };
  } catch (error) {
    // A connection that cannot even roll back is discarded rather than returned to the pool.
    broken = !(await client.query('ROLLBACK').then(() => true, () => false));
    throw describeFailure(error);
  } finally {
    client.release(broken);
  }
}

/** The content must be what was listed: a file rewritten in between is not loaded half old, half new. */
export function assertListedContent(fileName: string, loadKey: string, expectedLoadKey: string): void {
  if (loadKey !== expectedLoadKey) {
    throw inputFailure(ErrorType.InvalidInputFile, `${fileName} changed while it was being ingested; run the ingest again once it is complete.`);
  }
}

async function storedVersion(client: pg.PoolClient, loadKey: string): Promise<(VersionCounts & { version: number }) | undefined> {
  const found = await client.query<{ version: number; rows_read: number; rows_loaded: number; rows_duplicate: number; rows_rejected: number }>(
    'SELECT version, rows_read, rows_loaded, rows_duplicate, rows_rejected FROM ingested_files WHERE load_key = $1',
    [loadKey],
  );
  const p = found.rows[0];
  return p && { version: p.version, rowsRead: p.rows_read, rowsLoaded: p.rows_loaded, rowsDuplicate: p.rows_duplicate, rowsRejected: p.rows_rejected };
}

/** The real checksum is known only after reading; the row is completed before commit. */
async function pendingVersion(client: pg.PoolClient, key: VersionKey): Promise<FileVersion> {
  const row = await client.query<{ file_id: string; version: number }>(
    `INSERT INTO ingested_files (dataset, kind, file_name, content_sha256, load_key, version, rows_read, rows_loaded, rows_duplicate, rows_rejected)
     VALUES ($1, $2, $3, 'pending', 'pending:' || txid_current(), coalesce((SELECT max(version) FROM ingested_files WHERE dataset = $1 AND kind = $2), 0) + 1, 0, 0, 0, 0)
     RETURNING file_id, version`,
    [key.dataset, key.kind, key.fileName],
  );
  return { fileId: row.rows[0]!.file_id, version: row.rows[0]!.version };
}

async function completeVersion(client: pg.PoolClient, fileId: string, loaded: LoadedBody): Promise<void> {
  const rejects = loaded.rejects;
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
    [fileId, loaded.contentSha256, loaded.loadKey, loaded.rowsRead, loaded.rowsLoaded, loaded.rowsDuplicate, loaded.rowsRejected],
  );
}
