// The other side of the bad-input corpus: inputs near each refusal that must still load, so that
// the hardening refuses only what it should.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { csv, datasetDir } from '../helpers/datasets';

let db: TestDatabase;
before(async () => (db = await createTestDatabase('input_accepts')));
after(async () => db.drop());

const P = 'payment_id,user_id,amount,currency,paid_at';
const R = 'refund_id,user_id,amount,currency,refunded_at,payment_id';

async function ingest(dir: string) {
  const listing = await listDatasetFiles(dir);
  const results = [];
  for (const file of listing.files) results.push(await loadCsvFile(db.pool, { dir, kind: file.kind, maxRejects: null, expectedLoadKey: file.loadKey }));
  return results;
}

const stored = async (sql: string, params: unknown[] = []) => (await db.pool.query(sql, params)).rows;

describe('inputs that must still load', () => {
  it('refunds that together take back exactly the payment', async () => {
    await ingest(datasetDir({ 'payments.csv': csv(P, 'a1,u1,100,USD,2024-01-01T00:00:00Z') }));
    const [result] = await ingest(datasetDir({ 'refunds.csv': csv(R, 'a1r1,u1,60,USD,2024-01-02T00:00:00Z,a1', 'a1r2,u1,40.0000,USD,2024-01-03T00:00:00Z,a1') }));
    assert.equal(result!.rowsLoaded, 2);
    assert.deepEqual(await stored(`SELECT sum(amount)::text AS s FROM refunds WHERE payment_id = 'a1'`), [{ s: '100.0000' }]);
  });

  it('a refund in another currency than its payment does not count against it', async () => {
    await ingest(datasetDir({ 'payments.csv': csv(P, 'b1,u2,100,USD,2024-01-01T00:00:00Z') }));
    const [result] = await ingest(datasetDir({ 'refunds.csv': csv(R, 'b1r1,u2,100,USD,2024-01-02T00:00:00Z,b1', 'b1r2,u2,80,EUR,2024-01-02T00:00:00Z,b1') }));
    assert.equal(result!.rowsLoaded, 2);
  });

  it('a refund naming a payment that is not stored loads (it is split by the account weights)', async () => {
    const [result] = await ingest(datasetDir({ 'refunds.csv': csv(R, 'c1r1,u3,500,USD,2024-01-02T00:00:00Z,nope') }));
    assert.equal(result!.rowsLoaded, 1);
  });

  it('a symbolic link to a file inside the dataset is followed', async () => {
    const dir = datasetDir({ 'real-payments.csv': csv(P, 'd1,u4,5,USD,2024-01-01T00:00:00Z') });
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.symlinkSync('../real-payments.csv', path.join(dir, 'sub', 'p.csv'));
    fs.writeFileSync(path.join(dir, 'dataset.yaml'), 'files:\n  payments: sub/p.csv\n');
    const [result] = await ingest(dir);
    assert.deepEqual([result!.fileName, result!.rowsLoaded], ['sub/p.csv', 1]);
  });

  it('a code listed in extra_currencies, lower-case ISO codes, offsets of ±14:00 and +05:45', async () => {
    const dir = datasetDir({
      'dataset.yaml': 'extra_currencies: [xts]\n',
      'payments.csv': csv(P, 'e1,u5,5,XTS,2024-01-01T00:00:00+14:00', 'e2,u5,5,usd,2024-01-01T00:00:00-14:00', 'e3,u5,5,NPR,2024-01-01T05:45:00+05:45'),
    });
    const [result] = await ingest(dir);
    assert.equal(result!.rowsLoaded, 3);
    assert.deepEqual(await stored(`SELECT payment_id, currency, to_char(paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS at FROM payments WHERE payment_id LIKE 'e%' ORDER BY 1`), [
      { payment_id: 'e1', currency: 'XTS', at: '2023-12-31 10:00' },
      { payment_id: 'e2', currency: 'USD', at: '2024-01-01 14:00' },
      { payment_id: 'e3', currency: 'NPR', at: '2024-01-01 00:00' },
    ]);
  });

  it('UTF-8 ids of several bytes, an id of exactly 200 characters', async () => {
    const long = 'é'.repeat(200);
    const [result] = await ingest(datasetDir({ 'payments.csv': csv(P, `f1,café-ü-日本-🙂,5,USD,2024-01-01T00:00:00Z`, `f2,${long},5,USD,2024-01-01T00:00:00Z`) }));
    assert.equal(result!.rowsLoaded, 2);
    assert.deepEqual((await stored(`SELECT user_id FROM payments WHERE payment_id IN ('f1', 'f2')`)).map((r) => r.user_id).sort(), [long, 'café-ü-日本-🙂'].sort());
  });
});

describe('refund balance over data stored before the rule', () => {
  it('a new refund against a payment that older rows already over-refund is refused; other payments still load', async () => {
    await ingest(datasetDir({ 'payments.csv': csv(P, 'g1,u6,100,USD,2024-01-01T00:00:00Z', 'g2,u6,100,USD,2024-01-01T00:00:00Z') }));
    // Rows as an older version of the engine could store them: 150 refunded against 100.
    await db.pool.query(`INSERT INTO refunds (refund_id, user_id, amount, currency, refunded_at, payment_id, file_id, line)
      SELECT 'g1old', 'u6', 150, 'USD', '2024-01-02Z', 'g1', file_id, 2 FROM ingested_files WHERE kind = 'payments' ORDER BY file_id DESC LIMIT 1`);
    const ok = await ingest(datasetDir({ 'refunds.csv': csv(R, 'g2r,u6,100,USD,2024-01-02T00:00:00Z,g2') }));
    assert.equal(ok[0]!.rowsLoaded, 1);
    const failure = await ingest(datasetDir({ 'refunds.csv': csv(R, 'g1r,u6,1,USD,2024-01-03T00:00:00Z,g1') })).then(() => undefined, (e: Error) => e);
    assert.match(String(failure?.message), /refunds\.csv line 2, column amount: "1\.0000" refund g1r is more than what is left of payment g1 \(paid 100\.0000, refunded before 150\.0000, left -50\.0000\)/);
  });
});
