// All activities, built from their dependencies: the worker makes one pool and passes it in.
import { Context } from '@temporalio/activity';
import type pg from 'pg';
import { listDatasetFiles } from './ingest/datasetDir';
import { loadCsvFile, type LoadCsvFileInput, type LoadCsvFileResult } from './ingest/loadCsvFile';

export interface ActivityDeps {
  pool: pg.Pool;
}

export function createActivities({ pool }: ActivityDeps) {
  return {
    /** Lists the dataset's CSV files with their checksums; validates dataset.yaml. */
    async listDataset(input: { dir: string }) {
      return listDatasetFiles(input.dir);
    },

    /** Loads one file, all or nothing; heartbeats the rows read so far. */
    async loadCsvFile(input: LoadCsvFileInput): Promise<LoadCsvFileResult> {
      const context = Context.current();
      return loadCsvFile(pool, input, (rowsRead) => context.heartbeat({ file: input.kind, rowsRead }));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
