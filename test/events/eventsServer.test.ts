// `attribution serve` on a real Postgres and Temporal: a batch is validated whole, durable once
// acknowledged (even when ingestion cannot start yet), and identical batches load once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startEventsServer, type EventsServer, type EventsServerOptions } from '../../client/server/eventsServer';
import { readOrCreateServeToken, serveTokenFile } from '../../client/server/auth';
import { deleteLoadedBodies } from '../../store/inputs/eventBatches';
import { MAX_NESTING } from '../../client/server/body';
import { rateLimiter } from '../../client/server/rateLimit';
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

const TOKEN = 'test-token-0123456789abcdef';

function serve(client: Client = temporal.client, options: Partial<EventsServerOptions> = {}): Promise<EventsServer> {
  return startEventsServer({ pool: db.pool, client, taskQueue: temporal.taskQueue, port: 0, host: '127.0.0.1', token: TOKEN, ...options });
}

async function post(server: EventsServer, body: string | Uint8Array, contentType = 'application/x-ndjson', headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/v1/events`, { method: 'POST', body: typeof body === 'string' ? body : Buffer.from(body) as unknown as BodyInit, headers: { 'content-type': contentType, ...headers } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

async function batchInfo(server: EventsServer, sha: unknown): Promise<Record<string, unknown>> {
  return (await (await fetch(`${server.url}/v1/batches/${String(sha)}`)).json()) as Record<string, unknown>;
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

describe('events HTTP endpoint: token', () => {
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  it('on loopback the token is optional, but a wrong one is refused', async () => {
    const server = await serve();
    try {
      assert.equal(server.tokenRequired, false);
      assert.equal((await post(server, ndjson(event('t-1')))).status, 202);
      const wrong = await post(server, ndjson(event('t-2')), 'application/x-ndjson', bearer('not-the-token-at-all'));
      assert.equal(wrong.status, 401);
      assert.match(String(wrong.body.error), /wrong token/);
      assert.equal((await post(server, ndjson(event('t-3')), 'application/x-ndjson', bearer(TOKEN))).status, 202);
    } finally {
      await server.close();
    }
  });

  it('bound beyond loopback (or with requireToken) every request but /healthz needs it', async () => {
    const server = await serve(temporal.client, { host: '0.0.0.0' });
    const url = server.url.replace('0.0.0.0', '127.0.0.1');
    try {
      assert.equal(server.tokenRequired, true);
      const missing = await fetch(`${url}/v1/events`, { method: 'POST', body: ndjson(event('t-4')) });
      assert.equal(missing.status, 401);
      assert.match(String(((await missing.json()) as { error: string }).error), /needs its token: send "Authorization: Bearer <token>"/);
      assert.equal((await fetch(`${url}/v1/batches/${'0'.repeat(64)}`)).status, 401);
      assert.equal((await fetch(`${url}/v1/batches/${'0'.repeat(64)}`, { headers: bearer(TOKEN) })).status, 404);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal(await count("SELECT count(*) FROM payments WHERE payment_id = 't-4'"), 0);
    } finally {
      await server.close();
    }
    const strict = await serve(temporal.client, { requireToken: true });
    try {
      assert.equal((await post(strict, ndjson(event('t-5')))).status, 401);
    } finally {
      await strict.close();
    }
  });
});

describe('events HTTP endpoint: the state folder\'s token', () => {
  it('is generated once, 256 random bits, in a file readable by its owner only', () => {
    const [a, b] = [fs.mkdtempSync(path.join(os.tmpdir(), 'token-a-')), fs.mkdtempSync(path.join(os.tmpdir(), 'token-b-'))];
    try {
      const token = readOrCreateServeToken(a);
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(readOrCreateServeToken(a), token);
      assert.notEqual(readOrCreateServeToken(b), token);
      assert.equal(fs.statSync(serveTokenFile(a)).mode & 0o777, 0o600);
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  });
});

describe('events HTTP endpoint: rate limit', () => {
  it('answers 429 with Retry-After once a client has used its burst', async () => {
    const server = await serve(temporal.client, { rateLimit: { perMinute: 60, burst: 2 } });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 3; i += 1) {
        const response = await fetch(`${server.url}/v1/batches/${'0'.repeat(64)}`);
        statuses.push(response.status);
        retryAfter = response.headers.get('retry-after');
      }
      assert.deepEqual(statuses, [404, 404, 429]);
      assert.equal(retryAfter, '1'); // one request a second refills one token
    } finally {
      await server.close();
    }
  });

  it('refills at its rate, per client, and forgets the least recently seen client beyond its bound', () => {
    let t = 0;
    const allow = rateLimiter({ perMinute: 6, burst: 1, maxClients: 2 }, () => t);
    assert.deepEqual(allow('a'), { ok: true });
    assert.deepEqual(allow('a'), { ok: false, retryAfterSeconds: 10 });
    t = 4000;
    assert.deepEqual(allow('a'), { ok: false, retryAfterSeconds: 6 });
    assert.deepEqual(allow('b'), { ok: true }); // another client has its own bucket
    t = 11_000;
    assert.deepEqual(allow('a'), { ok: true });
    assert.deepEqual(allow('c'), { ok: true }); // the table holds 2: 'b' is forgotten
    assert.deepEqual(allow('b'), { ok: true }); // ... and starts with a full bucket again
  });
});

describe('events HTTP endpoint: bodies that will never load get 400, never "try again"', () => {
  it('refuses deep nesting, invalid JSON, invalid UTF-8 and U+0000 in a value; stores nothing', async () => {
    const server = await serve();
    try {
      const deep = await post(server, `${'['.repeat(200_000)}${']'.repeat(200_000)}`, 'application/json');
      assert.equal(deep.status, 400);
      assert.match(String(deep.body.error), new RegExp(`deeper than ${MAX_NESTING} levels`));
      const deepLine = await post(server, `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}\n`);
      assert.equal(deepLine.status, 400);

      const broken = await post(server, '[{"transactionId":', 'application/json');
      assert.equal(broken.status, 400);
      assert.match(String(broken.body.error), /^the body is not valid JSON/);

      const latin1 = Buffer.concat([Buffer.from(JSON.stringify(event('u-1')).slice(0, 20)), Buffer.from([0xe9]), Buffer.from('"}\n')]);
      const notUtf8 = await post(server, latin1);
      assert.equal(notUtf8.status, 400);
      assert.equal(notUtf8.body.error, 'the body is not valid UTF-8 (first bad byte at offset 20); nothing was stored');

      const nul = await post(server, ndjson(event('a\u0000')));
      assert.equal(nul.status, 400);
      const problems = nul.body.invalidEvents as { line: number; column: string }[];
      assert.ok(problems.some((p) => p.line === 1 && p.column === 'transactionId'), JSON.stringify(nul.body));
      assert.equal(await count('SELECT count(*) FROM event_batches WHERE body LIKE $1', ['%u0000%']), 0);
    } finally {
      await server.close();
    }
  });
});

describe('events HTTP endpoint: after the answer', () => {
  it('reports a stored batch whose ingestion failed, with its error', async () => {
    const server = await serve();
    try {
      const first = await post(server, ndjson(event('f-1')));
      await pollUntil(() => batchInfo(server, first.body.batch), (b) => b.loaded === true, 60_000);
      const other = await post(server, ndjson(event('f-1', { grossAmount: '41.00' })));
      assert.equal(other.status, 202); // valid on its own: the conflict is with stored data
      const failed = await pollUntil(() => batchInfo(server, other.body.batch), (b) => (b.ingestion as { status: string }).status === 'failed', 60_000);
      assert.equal(failed.loaded, false);
      assert.match(String((failed.ingestion as { error: string }).error), /f-1/);
    } finally {
      await server.close();
    }
  });

  it('starts the ingestion of a batch acknowledged while Temporal was away as soon as it answers, without a restart', async () => {
    let refusals = 2;
    const flaky = {
      workflow: {
        start: (...args: Parameters<Client['workflow']['start']>) => {
          if (refusals-- > 0) return Promise.reject(new Error('14 UNAVAILABLE: Temporal is restarting'));
          return temporal.client.workflow.start(...args);
        },
        getHandle: (...args: Parameters<Client['workflow']['getHandle']>) => temporal.client.workflow.getHandle(...args),
      },
    } as unknown as Client;
    const server = await serve(flaky, { pendingRetryMs: 300 });
    try {
      const answer = await post(server, ndjson(event('p-1'), event('p-2')));
      assert.equal(answer.status, 202);
      assert.match(String((answer.body.ingestion as { status: string }).status), /^pending .*it starts as soon as Temporal answers/);
      await pollUntil(() => count("SELECT count(*) FROM payments WHERE payment_id IN ('p-1', 'p-2')"), (n) => n === 2, 60_000);
      assert.ok(refusals < 0, 'the retry went through after the refusals');
    } finally {
      await server.close();
    }
  });

  it('deletes the bodies of loaded batches after the retention period, keeping their rows; a repeat is still known', async () => {
    const server = await serve();
    try {
      const body = ndjson(event('r-1'));
      const loaded = await post(server, body);
      await pollUntil(() => batchInfo(server, loaded.body.batch), (b) => b.loaded === true, 60_000);
      // An old batch that never loaded keeps its body: it is still to be ingested.
      await db.pool.query("INSERT INTO event_batches (batch_sha256, body, events, received_at) VALUES ($1, 'x', 1, now() - interval '40 days')", ['e'.repeat(64)]);
      await db.pool.query("UPDATE event_batches SET received_at = now() - interval '31 days' WHERE batch_sha256 = $1", [loaded.body.batch]);
      assert.equal(await deleteLoadedBodies(db.pool, 30), 1);
      assert.equal(await deleteLoadedBodies(db.pool, 30), 0);
      const row = (await db.pool.query('SELECT body, body_deleted_at FROM event_batches WHERE batch_sha256 = $1', [loaded.body.batch])).rows[0];
      assert.equal(row.body, null);
      assert.ok(row.body_deleted_at instanceof Date);
      assert.equal(await count('SELECT count(*) FROM event_batches WHERE batch_sha256 = $1 AND body IS NOT NULL', ['e'.repeat(64)]), 1);
      const info = await batchInfo(server, loaded.body.batch);
      assert.equal(info.loaded, true);
      assert.equal(info.bodyDeletedAt, (row.body_deleted_at as Date).toISOString());
      const again = await post(server, body);
      assert.deepEqual([again.status, (again.body.ingestion as { status: string }).status], [202, 'already loaded']);
      await db.pool.query('DELETE FROM event_batches WHERE batch_sha256 = $1', ['e'.repeat(64)]);
    } finally {
      await server.close();
    }
  });
});
