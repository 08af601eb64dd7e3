// `attribution serve`: a small HTTP entry for upstream billing systems (the seed's "decouple
// attribution from the checkout path"). A batch of events is validated whole, stored durably in
// Postgres (event_batches, committed) and only then acknowledged; ingestion into the canonical
// tables runs asynchronously as an `ingestEvents` workflow. A batch is keyed by the sha256 of its
// body: the same batch sent twice, even concurrently, is stored and loaded once.
//
//   POST /v1/events        body: NDJSON (one event per line) or a JSON array of events
//     202 { batch, events, stored: true, ingestion: { workflowId, status } }
//     400 { error, invalidEvents: [{ line, column, value, reason }] }   nothing is stored
//   GET  /v1/batches/<sha256>   { batch, events, receivedAt, loaded, rowsLoaded, rowsDuplicate }
//   GET  /healthz
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type pg from 'pg';
import { batchName, eventsLoadKey } from '../../activities/ingest/loadEvents';
import { SEARCH_ATTRIBUTES, workflowIds } from '../../common/temporalNames';
import { parseEventLine } from '../../ingest/eventSchema';

export interface EventsServerOptions {
  pool: pg.Pool;
  client: Client;
  taskQueue: string;
  port: number;
  host: string;
  /** Larger bodies get 413; split the stream into batches. */
  maxBodyBytes?: number;
}

export interface EventsServer {
  url: string;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;

interface InvalidEvent {
  line: number;
  column: string;
  value: string | undefined;
  reason: string;
}

export async function startEventsServer(options: EventsServerOptions): Promise<EventsServer> {
  const server = http.createServer((request, response) => {
    handle(options, request, response).catch((error: unknown) => {
      // Unexpected (database or Temporal down): the batch is not acknowledged, the sender retries.
      send(response, 503, { error: `not stored, try again: ${error instanceof Error ? error.message : String(error)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  // Batches stored but never handed to Temporal (it was down, or we stopped in between).
  await startPendingIngestions(options).catch(() => undefined);
  const address = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function handle(options: EventsServerOptions, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method === 'GET' && url.pathname === '/healthz') return send(response, 200, { ok: true });
  if (request.method === 'GET' && url.pathname.startsWith('/v1/batches/')) {
    return sendBatchStatus(options.pool, url.pathname.slice('/v1/batches/'.length), response);
  }
  if (url.pathname !== '/v1/events') return send(response, 404, { error: 'not found; POST events to /v1/events' });
  if (request.method !== 'POST') return send(response, 405, { error: 'POST a batch of events to /v1/events' });

  const body = await readBody(request, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  if (body === undefined) return send(response, 413, { error: `the batch is larger than ${options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES} bytes; send smaller batches` });
  const ndjson = asNdjson(body, request.headers['content-type']);
  if (typeof ndjson !== 'string') return send(response, 400, ndjson);

  const checked = validateBatch(ndjson);
  if (checked.invalid.length > 0) {
    return send(response, 400, {
      error: `batch rejected: ${checked.invalid.length} problem(s); nothing was stored. Fix the events and send the whole batch again.`,
      invalidEvents: checked.invalid,
    });
  }
  if (checked.events === 0) return send(response, 400, { error: 'the batch holds no events', invalidEvents: [] });

  const sha256 = crypto.createHash('sha256').update(ndjson, 'utf8').digest('hex');
  // Autocommit: when this returns, the batch is durable, and only then is it acknowledged.
  await options.pool.query(
    'INSERT INTO event_batches (batch_sha256, body, events) VALUES ($1, $2, $3) ON CONFLICT (batch_sha256) DO NOTHING',
    [sha256, ndjson, checked.events],
  );
  const ingestion = await startIngestion(options, sha256).catch((error: unknown) => ({
    workflowId: workflowIds.ingestEvents(batchName(sha256)),
    status: `pending (${error instanceof Error ? error.message : String(error)}); it starts when the server restarts`,
  }));
  send(response, 202, { batch: sha256, events: checked.events, stored: true, ingestion });
}

/** Starts (or finds) the batch's one ingestion workflow. */
async function startIngestion(options: EventsServerOptions, sha256: string): Promise<{ workflowId: string; status: string }> {
  const workflowId = workflowIds.ingestEvents(batchName(sha256));
  try {
    await options.client.workflow.start('ingestEvents', {
      workflowId,
      taskQueue: options.taskQueue,
      args: [{ batchSha256: sha256, loadKey: eventsLoadKey(sha256) }],
      // Running: attach to it. Completed: the batch is in, do nothing. Failed: try again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.kind, value: 'ingest' }],
      staticSummary: `Ingest event batch ${sha256.slice(0, 12)}`,
    });
    return { workflowId, status: 'started' };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, status: 'already loaded' };
    throw error;
  }
}

async function startPendingIngestions(options: EventsServerOptions): Promise<void> {
  const pending = await options.pool.query<{ batch_sha256: string }>('SELECT batch_sha256 FROM event_batches ORDER BY received_at');
  const loaded = await options.pool.query<{ load_key: string }>("SELECT load_key FROM ingested_files WHERE kind = 'events'");
  const loadedKeys = new Set(loaded.rows.map((r) => r.load_key));
  for (const { batch_sha256 } of pending.rows) {
    if (!loadedKeys.has(eventsLoadKey(batch_sha256))) await startIngestion(options, batch_sha256);
  }
}

/** Every event checked; a batch with any problem is refused whole. */
export function validateBatch(ndjson: string): { events: number; invalid: InvalidEvent[] } {
  const invalid: InvalidEvent[] = [];
  const seen = new Map<string, { line: number; text: string }>();
  let events = 0;
  ndjson.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const text = raw.replace(/\r$/, '');
    if (text.trim() === '') return;
    events += 1;
    const parsed = parseEventLine(text);
    if (!parsed.ok) {
      for (const p of parsed.problems) invalid.push({ line, ...p });
      return;
    }
    const canonical = JSON.stringify(parsed.event);
    const first = seen.get(parsed.event.transactionId);
    if (first && first.text !== canonical) {
      invalid.push({ line, column: 'transactionId', value: parsed.event.transactionId, reason: `appears with different content on line ${first.line} of this batch` });
    } else if (!first) seen.set(parsed.event.transactionId, { line, text: canonical });
  });
  return { events, invalid };
}

/** NDJSON as sent, or a JSON array turned into NDJSON (one event per line, in order). */
function asNdjson(body: string, contentType: string | undefined): string | { error: string; invalidEvents: InvalidEvent[] } {
  const looksLikeArray = (contentType ?? '').includes('application/json') || body.trimStart().startsWith('[');
  if (!looksLikeArray) return body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return { error: `the body is not valid JSON: ${(error as Error).message}`, invalidEvents: [] };
  }
  if (!Array.isArray(parsed)) return { error: 'a JSON body must be an array of events (or send NDJSON, one event per line)', invalidEvents: [] };
  return parsed.map((e) => JSON.stringify(e)).join('\n');
}

async function readBody(request: http.IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function sendBatchStatus(pool: pg.Pool, sha256: string, response: http.ServerResponse): Promise<void> {
  const batch = await pool.query<{ events: number; received_at: Date }>('SELECT events, received_at FROM event_batches WHERE batch_sha256 = $1', [sha256]);
  const row = batch.rows[0];
  if (!row) return send(response, 404, { error: `no batch ${sha256}` });
  const file = await pool.query<{ rows_loaded: number; rows_duplicate: number }>(
    'SELECT rows_loaded, rows_duplicate FROM ingested_files WHERE load_key = $1', [eventsLoadKey(sha256)],
  );
  const loaded = file.rows[0];
  send(response, 200, {
    batch: sha256, events: row.events, receivedAt: row.received_at.toISOString(), loaded: loaded !== undefined,
    rowsLoaded: loaded?.rows_loaded ?? null, rowsDuplicate: loaded?.rows_duplicate ?? null,
  });
}

function send(response: http.ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(`${JSON.stringify(body)}\n`);
}
