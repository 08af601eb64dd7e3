// `attribution serve` on a real Postgres and Temporal: a batch is validated whole, durable once
// acknowledged (even when ingestion cannot start yet), and identical batches load once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startEventsServer, type EventsServer } from '../../client/server/eventsServer';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { pollUntil } from '../helpers/poll';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

let db: TestDatabase;
let temporal: TestTemporal;
let worker: { worker: Worker; done: Promise<void> };

before(async () => {
  db = await createTestDatabase('events_server');
  temporal = await connectTestTemporal('serve');
  worker = await temporal.startWorker(db.pool);
});
after(async () => {
  worker.worker.shutdown();
  await worker.done;
  await temporal.close();
  await db.drop();
});

const event = (id: string, patch: Record<string, unknown> = {}) => ({
  transactionId: id, timestamp: '2024-05-03T10:00:00Z', customerId: 'cust-s', grossAmount: '40.00', currency: 'USD',
  products: [{ productId: 'crm', quantity: 1, unitPrice: 40 }], touchpoints: [], source: 'invoice', ...patch,
});
const ndjson = (...events: object[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

function serve(client: Client = temporal.client): Promise<EventsServer> {
  return startEventsServer({ pool: db.pool, client, taskQueue: temporal.taskQueue, port: 0, host: '127.0.0.1' });
}

async function post(server: EventsServer, body: string, contentType = 'application/x-ndjson') {
  const response = await fetch(`${server.url}/v1/events`, { method: 'POST', body, headers: { 'content-type': contentType } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const count = async (sql: string, params: unknown[] = []) => Number((await db.pool.query(sql, params)).rows[0].count);

describe('events HTTP endpoint', () => {
  it('rejects a batch with one invalid event whole, with per-event errors, and stores nothing', async () => {
    const server = await serve();
    try {
      const answer = await post(server, ndjson(event('s-1'), event('s-2', { grossAmount: -3, source: 'refnd' }), event('s-3')));
      assert.equal(answer.status, 400);
      assert.match(String(answer.body.error), /batch rejected: 2 problem\(s\); nothing was stored/);
      assert.deepEqual(answer.body.invalidEvents, [
        { line: 2, column: 'grossAmount', value: '-3', reason: 'is not a positive decimal number like 12.5 or 12.5000' },
        { line: 2, column: 'source', value: 'refnd', reason: 'must be one of invoice, usage_meter, marketplace, refund' },
      ]);
      assert.equal(await count('SELECT count(*) FROM event_batches'), 0);
    } finally {
      await server.close();
    }
  });

  it('a batch is durable once acknowledged: stored even when ingestion cannot start, loaded after a restart', async () => {
    // A client on a namespace that does not exist: the workflow cannot be started.
    const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
    const unavailable = new Client({ connection, namespace: 'no-such-namespace' });
    const first = await serve(unavailable);
    const answer = await post(first, JSON.stringify([event('d-1'), event('d-2', { grossAmount: 2.5 })]), 'application/json');
    await first.close(); // stopped right after the answer
    await connection.close();
    assert.equal(answer.status, 202);
    assert.equal(answer.body.stored, true);
    assert.equal(answer.body.events, 2);
    assert.match(String((answer.body.ingestion as { status: string }).status), /^pending/);
    assert.equal(await count('SELECT count(*) FROM event_batches WHERE batch_sha256 = $1', [answer.body.batch]), 1);

    const restarted = await serve(); // picks up the batch that was never handed to Temporal
    try {
      await pollUntil(() => count("SELECT count(*) FROM payments WHERE payment_id IN ('d-1', 'd-2')"), (n) => n === 2, 60_000);
      const status = await (await fetch(`${restarted.url}/v1/batches/${String(answer.body.batch)}`)).json() as Record<string, unknown>;
      assert.deepEqual([status.loaded, status.rowsLoaded, status.events], [true, 2, 2]);
      assert.equal((await db.pool.query("SELECT amount FROM payments WHERE payment_id = 'd-2'")).rows[0].amount, '2.5000');
    } finally {
      await restarted.close();
    }
  });

  it('concurrent identical batches are stored and loaded once', async () => {
    const server = await serve();
    try {
      const body = ndjson(event('c-1'), event('c-2'), event('c-3'));
      const answers = await Promise.all([post(server, body), post(server, body), post(server, body)]);
      assert.deepEqual(answers.map((a) => a.status), [202, 202, 202]);
      assert.equal(new Set(answers.map((a) => a.body.batch)).size, 1);
      await pollUntil(() => count("SELECT count(*) FROM ingested_files WHERE kind = 'events' AND file_name = $1", [`batch-${String(answers[0]!.body.batch).slice(0, 12)}`]), (n) => n === 1, 60_000);
      // Give any second ingestion the chance to run: there is none, the workflow id is the batch's.
      const again = await post(server, body);
      assert.equal(again.status, 202);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await count("SELECT count(*) FROM payments WHERE payment_id IN ('c-1', 'c-2', 'c-3')"), 3);
      assert.equal(await count('SELECT count(*) FROM event_batches'), 2);
      assert.equal(await count("SELECT count(*) FROM ingested_files WHERE kind = 'events' AND file_name LIKE 'batch-%'"), 2);
    } finally {
      await server.close();
    }
  });
});
