// What a run saw: the ingested file versions (CSV files, event files and HTTP batches) up to its
// data version, per dataset. The run's memo, its result and its summary name them, so that a run
// over a database holding several datasets says so (docs/operations.md, "Scope").
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
