// What a run saw: its data version (the newest ingested file version), and the ingested file
// versions (CSV files, event files and HTTP batches) up to it, per dataset and one by one. The
// run's memo, its result, its summary and the reports' manifest name them, so that a run over a
// database holding several datasets says so (docs/operations.md, "Scope").
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

export interface InputSource {
  dataset: string;
  fileVersions: number;
  rowsLoaded: number;
  /** The newest file version of this dataset the run saw. */
  latestFileId: number;
}

export async function inputsUpTo(db: Db, dataVersion: number): Promise<InputSource[]> {
  const result = await db.query<{ dataset: string; file_versions: number; rows_loaded: string; latest: string }>(
    `SELECT dataset, count(*)::int AS file_versions, sum(rows_loaded)::text AS rows_loaded, max(file_id)::text AS latest
       FROM ingested_files WHERE file_id <= $1 GROUP BY dataset ORDER BY dataset`,
    [dataVersion],
  );
  return result.rows.map((r) => ({ dataset: r.dataset, fileVersions: r.file_versions, rowsLoaded: Number(r.rows_loaded), latestFileId: Number(r.latest) }));
}

/** `krispcall-small (6 file versions, 1,234 rows)`, one per dataset. */
export function describeInputs(inputs: ReadonlyArray<InputSource>): string {
  if (inputs.length === 0) return 'no input';
  return inputs.map((i) => `${i.dataset} (${i.fileVersions} file version${i.fileVersions === 1 ? '' : 's'}, ${i.rowsLoaded} rows)`).join('; ');
}

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
