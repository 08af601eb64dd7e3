// The input family's store (store/inputs/): file versions numbered per dataset and kind and found
// again by load key, the billing month span in UTC, and users resolved to paying accounts as a run
// resolves them (an ambiguous member and an account with no billing before the cutoff left out).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { billingMonthSpan, payingUserAccounts } from '../../store/inputs/billing';
import { completeVersion, insertPendingVersion, isLoaded, storedVersion } from '../../store/inputs/fileVersions';
import { inTransaction } from '../../store/sql';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('store_inputs');
});
after(async () => db.drop());

const counts = { rowsRead: 3, rowsLoaded: 2, rowsDuplicate: 0, rowsRejected: 1 };
const loadVersion = (dataset: string, kind: string, loadKey: string) => inTransaction(db.pool, async (c) => {
  const file = await insertPendingVersion(c, { dataset, kind, fileName: `${kind}.csv` });
  await completeVersion(c, file.fileId, { ...counts, contentSha256: `sha-${loadKey}`, loadKey, rejects: [{ line: 4, column: 'platform', value: '', reason: 'is empty' }] });
  return file;
});

describe('file versions', () => {
  it('number versions per dataset and kind, and are found again by their load key with their counts and rejects', async () => {
    const a1 = await loadVersion('a', 'calls', 'k1');
    const a2 = await loadVersion('a', 'calls', 'k2');
    const b1 = await loadVersion('b', 'calls', 'k3');
    const a1sms = await loadVersion('a', 'sms', 'k4');
    assert.deepEqual([a1.version, a2.version, b1.version, a1sms.version], [1, 2, 1, 1]);
    assert.deepEqual(await storedVersion(db.pool, 'k2'), { version: 2, ...counts });
    assert.equal(await storedVersion(db.pool, 'nope'), undefined);
    assert.deepEqual([await isLoaded(db.pool, 'k4'), await isLoaded(db.pool, 'nope')], [true, false]);
    const rejects = await db.pool.query('SELECT line, column_name, value, reason FROM ingest_rejects WHERE file_id = $1', [a2.fileId]);
    assert.deepEqual(rejects.rows, [{ line: 4, column_name: 'platform', value: '', reason: 'is empty' }]);
  });

  it('a version whose load rolled back leaves no number taken', async () => {
    await assert.rejects(inTransaction(db.pool, async (c) => {
      await insertPendingVersion(c, { dataset: 'a', kind: 'calls', fileName: 'calls.csv' });
      throw new Error('bad file');
    }));
    assert.equal((await loadVersion('a', 'calls', 'k5')).version, 3);
  });
});

describe('billing reads', () => {
  it('has no month span before any billing row', async () => {
    assert.deepEqual(await billingMonthSpan(db.pool), { first: null, last: null });
  });

  it('spans the UTC months of the first and last payment or refund, and resolves paying users to accounts', async () => {
    const fileId = (await db.pool.query<{ file_id: string }>('SELECT min(file_id)::text AS file_id FROM ingested_files')).rows[0]!.file_id;
    await db.pool.query(
      `INSERT INTO workspaces (workspace_id, owner_id, member_ids, file_id, line) VALUES
         ('w1', 'o1', '{m1,both}', $1, 1), ('w2', 'o2', '{both}', $1, 2), ('w3', 'o3', '{m3}', $1, 3)`, [fileId]);
    await db.pool.query(
      `INSERT INTO payments (payment_id, user_id, amount, currency, paid_at, file_id, line) VALUES
         ('p1', 'm1', 10, 'USD', '2024-01-31T23:30:00-01:00', $1, 1),
         ('p2', 'o3', 10, 'USD', '2024-06-01T00:00:00Z', $1, 2)`, [fileId]);
    await db.pool.query(
      `INSERT INTO refunds (refund_id, user_id, amount, currency, refunded_at, payment_id, file_id, line) VALUES
         ('r1', 'both', 5, 'USD', '2024-03-01T00:00:00Z', NULL, $1, 1)`, [fileId]);
    // 2024-01-31T23:30-01:00 is 2024-02-01T00:30Z: February in UTC.
    assert.deepEqual(await billingMonthSpan(db.pool), { first: '2024-02', last: '2024-06' });
    // Before June: o3's account has no billing yet; `both` is ambiguous and paid nothing that counts.
    assert.deepEqual(await payingUserAccounts(db.pool, new Date('2024-06-01T00:00:00Z')), [
      { userId: 'm1', accountId: 'o1' }, { userId: 'o1', accountId: 'o1' },
    ]);
    assert.deepEqual(await payingUserAccounts(db.pool, new Date('2024-07-01T00:00:00Z')), [
      { userId: 'm1', accountId: 'o1' }, { userId: 'o1', accountId: 'o1' }, { userId: 'm3', accountId: 'o3' }, { userId: 'o3', accountId: 'o3' },
    ]);
  });
});
