// Reads of the input tables that runs, reports and commands need (docs/cli-and-worker.md, "The
// store layer"): the data version, the ingested file versions a report names, and the months
// that hold billing data. The input tables' writes are the ingest's (store/inputs.ts and its
// neighbours).
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

/** The data version: the newest ingested file version (file ids only grow), 0 for an empty database. */
export async function currentDataVersion(db: Db): Promise<number> {
  const data = await db.query<{ version: string }>('SELECT coalesce(max(file_id), 0)::text AS version FROM ingested_files');
  return Number(data.rows[0]!.version);
}

export interface FileVersion {
  dataset: string;
  kind: string;
  file: string;
  version: number;
  sha256: string;
  fileId: number;
}

/**
 * Every ingested file version up to a data version (null: every one stored), in load order: older
 * versions count too, since their rows stay in the input tables.
 */
export async function fileVersionsUpTo(db: Db, upToFileId: number | null = null): Promise<FileVersion[]> {
  const result = await db.query<{ dataset: string; kind: string; file_name: string; version: number; content_sha256: string; file_id: string }>(
    `SELECT dataset, kind, file_name, version, content_sha256, file_id::text
       FROM ingested_files WHERE $1::bigint IS NULL OR file_id <= $1 ORDER BY file_id`,
    [upToFileId],
  );
  return result.rows.map((r) => ({ dataset: r.dataset, kind: r.kind, file: r.file_name, version: r.version, sha256: r.content_sha256, fileId: Number(r.file_id) }));
}

/** The first and last UTC month (YYYY-MM) with a payment or refund; nulls when there is none. */
export async function billingMonthSpan(db: Db): Promise<{ first: string | null; last: string | null }> {
  const span = await db.query<{ first: string | null; last: string | null }>(
    `SELECT to_char(min(at) AT TIME ZONE 'UTC', 'YYYY-MM') AS first, to_char(max(at) AT TIME ZONE 'UTC', 'YYYY-MM') AS last
       FROM (SELECT paid_at AS at FROM payments UNION ALL SELECT refunded_at FROM refunds) t`);
  return span.rows[0] ?? { first: null, last: null };
}
