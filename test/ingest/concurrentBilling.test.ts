// A payments file and a refunds file loading at the same time into an empty database (as the
// ingest workflow loads every file of a dataset at once; docs/store.md, "Locks"). A payments file
// of 32 MiB or more takes the direct path, which locks the empty payments table exclusively; the
// refund-balance check reads payments. Before both loads took the refund-balance lock first, the
// small refunds file finished first, held that lock and waited on payments, while the payments
// load waited on that lock: Postgres broke the deadlock by failing one load (40P01).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { datasetDir } from '../helpers/datasets';

const PAYMENTS = 700_000; // ~37 MB of CSV: above the direct path's bulk threshold
const REFUNDS = 20_000; // enough that the refunds' check runs while the payments are still being copied
let db: TestDatabase;
let dir: string;
before(async () => {
  db = await createTestDatabase('concurrent_billing');
  const lines = ['payment_id,user_id,amount,currency,paid_at'];
  for (let i = 0; i < PAYMENTS; i++) lines.push(`pay-${String(i).padStart(7, '0')},user-${i % 5000},100.0000,USD,2024-01-10T09:00:00Z`);
  dir = datasetDir({
    'payments.csv': `${lines.join('\n')}\n`,
    'refunds.csv': `refund_id,user_id,amount,currency,refunded_at,payment_id\n${refundLines().join('\n')}\n`,
  });
});
after(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** 40.0000 back from each of the first REFUNDS payments. */
function refundLines(): string[] {
  return Array.from({ length: REFUNDS }, (_, i) => `ref-${i},user-${i % 5000},40.0000,USD,2024-02-01T00:00:00Z,pay-${String(i).padStart(7, '0')}`);
}

describe('payments and refunds loading at once', () => {
  it('both load, and the refund is checked against its payment', { timeout: 120_000 }, async () => {
    const listing = await listDatasetFiles(dir);
    const load = (kind: 'payments' | 'refunds') =>
      loadCsvFile(db.pool, { dir, kind, maxRejects: null, expectedLoadKey: listing.files.find((f) => f.kind === kind)!.loadKey });
    const [payments, refunds] = await Promise.all([load('payments'), load('refunds')]);
    assert.deepEqual([payments.status, payments.rowsLoaded, refunds.status, refunds.rowsLoaded], ['loaded', PAYMENTS, 'loaded', REFUNDS]);
    const left = await db.pool.query<{ left: string }>(
      "SELECT (p.amount - r.amount)::text AS left FROM payments p JOIN refunds r USING (payment_id) WHERE r.refund_id = 'ref-1'");
    assert.deepEqual(left.rows, [{ left: '60.0000' }]);
  });
});
