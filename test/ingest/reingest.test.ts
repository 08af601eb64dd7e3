// Re-ingesting a large changed file whose first ids are already stored: the direct COPY meets a
// unique violation early, while most of the file is still to be written. It must step back to the
// staging path (duplicates counted, new rows loaded), not write on into a COPY the server failed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { csv, datasetDir } from '../helpers/datasets';

let db: TestDatabase;
before(async () => (db = await createTestDatabase('reingest')));
after(async () => db.drop());

const HEADER = 'call_id,user_id,platform,started_at,duration';
const rows = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => `c${from + i},u${(from + i) % 50},hubspot,2024-01-01T00:00:00Z,${(from + i) % 600}`);

async function load(dir: string) {
  const file = (await listDatasetFiles(dir)).files.find((f) => f.kind === 'calls')!;
  return loadCsvFile(db.pool, { dir, kind: 'calls', maxRejects: null, expectedLoadKey: file.loadKey });
}

describe('re-ingest of a grown file', () => {
  it('counts the stored rows as duplicates and loads the new ones', async () => {
    const first = await load(datasetDir({ 'calls.csv': csv(HEADER, ...rows(0, 60_000)) }));
    assert.equal(first.rowsLoaded, 60_000);
    const grown = await load(datasetDir({ 'calls.csv': csv(HEADER, ...rows(0, 60_000), ...rows(60_000, 60_010)) }));
    assert.deepEqual([grown.status, grown.rowsRead, grown.rowsLoaded, grown.rowsDuplicate, grown.rowsRejected], ['loaded', 60_010, 10, 60_000, 0]);
    assert.equal(Number((await db.pool.query('SELECT count(*) FROM calls')).rows[0].count), 60_010);
  });
});
