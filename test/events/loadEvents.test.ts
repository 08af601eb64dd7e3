// The events loader against a real Postgres: strict validation, idempotency by content and by
// transactionId (the seed's double-counting pitfall), collisions named at both places.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listEventFiles, loadEvents } from '../../activities/ingest/loadEvents';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { refusal } from '../helpers/refusal';

let db: TestDatabase;
before(async () => (db = await createTestDatabase('load_events')));
after(async () => db.drop());

const event = (id: string, patch: Record<string, unknown> = {}) => JSON.stringify({
  transactionId: id, timestamp: '2024-05-03T10:00:00Z', customerId: 'cust-a', grossAmount: 100, currency: 'USD',
  products: [{ productId: 'crm', quantity: 1, unitPrice: 100 }],
  touchpoints: [{ productId: 'crm', interactionType: 'view', timestamp: '2024-05-01T00:00:00Z' }],
  source: 'invoice', ...patch,
});

function eventsFile(name: string, lines: string[], dir = fs.mkdtempSync(path.join(os.tmpdir(), 'events-'))): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

async function load(file: string) {
  const [listed] = await listEventFiles(file);
  assert.ok(listed);
  return loadEvents(db.pool, { source: listed.source, expectedLoadKey: listed.loadKey });
}


const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query(sql, params)).rows[0].count);

describe('loadEvents', () => {
  it('loads payments, refunds, products, touchpoints and the customer account; the same file again is a no-op', async () => {
    const file = eventsFile('a.ndjson', [
      event('a-1', { bundleId: 'Ent-Bundle', products: [{ productId: 'CRM', quantity: 2, unitPrice: '30.5', metadata: { seats: 2 } }, { productId: 'sms', quantity: 1, unitPrice: 0 }] }),
      '',
      event('a-2', { source: 'refund', refundOf: 'a-1', grossAmount: '25.5', products: [], touchpoints: [] }),
    ]);
    const first = await load(file);
    assert.deepEqual({ ...first, version: undefined }, {
      kind: 'events', fileName: 'a.ndjson', status: 'loaded', version: undefined, rowsRead: 2, rowsLoaded: 2, rowsDuplicate: 0, rowsRejected: 0, rejectSamples: [],
    });
    const payment = (await db.pool.query("SELECT user_id, amount, currency, paid_at FROM payments WHERE payment_id = 'a-1'")).rows[0];
    assert.deepEqual({ ...payment, paid_at: payment.paid_at.toISOString() }, { user_id: 'cust-a', amount: '100.0000', currency: 'USD', paid_at: '2024-05-03T10:00:00.000Z' });
    const refund = (await db.pool.query("SELECT user_id, amount, payment_id FROM refunds WHERE refund_id = 'a-2'")).rows[0];
    assert.deepEqual(refund, { user_id: 'cust-a', amount: '25.5000', payment_id: 'a-1' });
    const products = (await db.pool.query("SELECT position, product_id, quantity::text, unit_price::text, metadata FROM event_products WHERE transaction_id = 'a-1' ORDER BY position")).rows;
    assert.deepEqual(products, [
      { position: 0, product_id: 'crm', quantity: '2', unit_price: '30.5', metadata: { seats: 2 } },
      { position: 1, product_id: 'sms', quantity: '1', unit_price: '0', metadata: null },
    ]);
    const tx = (await db.pool.query("SELECT kind, customer_id, bundle_id, refund_of, line FROM event_transactions ORDER BY transaction_id")).rows;
    assert.deepEqual(tx, [
      { kind: 'payment', customer_id: 'cust-a', bundle_id: 'ent-bundle', refund_of: null, line: 1 },
      { kind: 'refund', customer_id: 'cust-a', bundle_id: null, refund_of: 'a-1', line: 3 },
    ]);
    assert.equal(await count("SELECT count(*) FROM workspaces WHERE workspace_id = 'customer:cust-a' AND owner_id = 'cust-a'"), 1);
    assert.equal(await count("SELECT count(*) FROM event_touchpoints WHERE transaction_id = 'a-1'"), 1);

    const again = await load(file);
    assert.equal(again.status, 'unchanged');
    assert.equal(await count("SELECT count(*) FROM payments WHERE payment_id = 'a-1'"), 1);
  });

  it('an event delivered twice (same file or a later one) is loaded once and counted as a duplicate', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'events-'));
    const first = await load(eventsFile('b.ndjson', [event('b-1'), event('b-2'), event('b-1')], dir));
    assert.equal(first.rowsLoaded, 2);
    assert.equal(first.rowsDuplicate, 1);
    const retry = await load(eventsFile('b-retry.ndjson', [event('b-2'), event('b-3')], dir));
    assert.deepEqual([retry.rowsRead, retry.rowsLoaded, retry.rowsDuplicate], [2, 1, 1]);
    assert.equal(await count("SELECT count(*) FROM payments WHERE payment_id LIKE 'b-%'"), 3);
    assert.equal(await count("SELECT count(*) FROM event_products WHERE transaction_id LIKE 'b-%'"), 3);
  });

  it('the same transactionId with other content is refused naming both lines, in one file or across files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'events-'));
    const inFile = await refusal(load(eventsFile('c.ndjson', [event('c-1'), event('c-1', { grossAmount: 101 })], dir)));
    assert.match(inFile.message, /c\.ndjson line 2, column transactionId: "c-1" appears with different content on line 1 of this file/);
    await load(eventsFile('c-ok.ndjson', [event('c-2')], dir));
    const across = await refusal(load(eventsFile('c-later.ndjson', [event('c-3'), event('c-2', { customerId: 'cust-z' })], dir)));
    assert.match(across.message, /c-later\.ndjson line 2, column transactionId: "c-2" was already loaded with different content \(c-ok\.ndjson version 1, line 1\)/);
    assert.equal(await count("SELECT count(*) FROM payments WHERE payment_id = 'c-3'"), 0, 'nothing of a refused file is loaded');
  });

  it('strict: one invalid event refuses the whole file, every problem named with line and column', async () => {
    const file = eventsFile('d.ndjson', [event('d-1'), event('d-2', { grossAmount: 'ten' }), 'not json', event('d-4', { products: [{ productId: 'x', quantity: -1, unitPrice: 1 }] })]);
    const failure = await refusal(load(file));
    assert.equal(failure.type, 'InvalidInputFile');
    assert.match(failure.message, /^d\.ndjson: 3 invalid events\. Events are billing data, so one bad event refuses the whole file; nothing of it was loaded\./);
    assert.match(failure.message, /d\.ndjson line 2, column grossAmount: "ten" is not a positive decimal number/);
    assert.match(failure.message, /d\.ndjson line 3, column \(line\): is not valid JSON/);
    assert.match(failure.message, /d\.ndjson line 4, column products\[0\]\.quantity: "-1" must be a decimal number >= 0/);
    assert.equal(await count("SELECT count(*) FROM payments WHERE payment_id LIKE 'd-%'"), 0);
    assert.equal(await count("SELECT count(*) FROM ingested_files WHERE file_name = 'd.ndjson'"), 0);
  });

  it('an event id that is already a CSV payment is refused naming the CSV row', async () => {
    await db.pool.query(`INSERT INTO ingested_files (dataset, kind, file_name, content_sha256, load_key, version, rows_read, rows_loaded, rows_duplicate, rows_rejected)
      VALUES ('csv', 'payments', 'payments.csv', 'x', 'csv-key', 1, 1, 1, 0, 0)`);
    await db.pool.query(`INSERT INTO payments SELECT 'e-1', 'u1', 5, 'USD', '2024-01-01Z', file_id, 7 FROM ingested_files WHERE load_key = 'csv-key'`);
    const failure = await refusal(load(eventsFile('e.ndjson', [event('e-1')])));
    assert.match(failure.message, /e\.ndjson line 1, column transactionId: "e-1" is already a transaction of payments\.csv version 1, line 7/);
  });

  it('a changed file with the same name loads as the next version', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'events-'));
    const v1 = await load(eventsFile('f.ndjson', [event('f-1')], dir));
    const v2 = await load(eventsFile('f.ndjson', [event('f-1'), event('f-2')], dir));
    assert.deepEqual([v1.version, v2.version, v2.rowsLoaded, v2.rowsDuplicate], [1, 2, 1, 1]);
  });
});
