// `attribution serve`: a small HTTP entry for upstream billing systems (the seed's "decouple
// attribution from the checkout path"). A batch of events is validated whole, stored durably in
// Postgres (event_batches, committed) and only then acknowledged; ingestion into the canonical
// tables runs asynchronously as an `ingestEvents` workflow. A batch is keyed by the sha256 of its
// body: the same batch sent twice, even concurrently, is stored and loaded once. Every request
// but /healthz carries the server's token when it is bound beyond loopback (auth.ts), and each
// client address is rate-limited (rateLimit.ts). docs/decisions.md, "serve".
//
//   POST /v1/events        body: NDJSON (one event per line) or a JSON array of events
//     202 { batch, events, stored: true, ingestion: { workflowId, status } }
//     400 { error, invalidEvents: [{ line, column, value, reason }] }   nothing is stored; never retry as is
//     401 wrong or missing token · 413 too large · 429 too many requests (Retry-After)
//     503 not stored (the database is away): retry later
//   GET  /v1/batches/<sha256>   { batch, events, receivedAt, loaded, rowsLoaded, rowsDuplicate, bodyDeletedAt,
//                                 ingestion: { workflowId, status, error? } }
//   GET  /healthz
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { batchName } from '../../activities/ingest/loadEvents';
import { workflowIds } from '../../common/temporalNames';
import { parseEventLine } from '../../ingest/eventSchema';
import { deleteLoadedBodies, storeBatch } from '../../store/inputs/eventBatches';
import { checkToken, isLoopback } from './auth';
import { batchStatus, isLoaded, pendingIngestions, startIngestion, type BatchContext } from './batches';
import { asNdjson, decodeUtf8, readBody } from './body';
import { rateLimiter, type RateLimitOptions } from './rateLimit';

export interface EventsServerOptions {
  pool: pg.Pool;
  client: Client;
  taskQueue: string;
  port: number;
  host: string;
  /** The bearer token; required on every request but /healthz when bound beyond loopback or with requireToken. */
  token: string;
  requireToken?: boolean;
  /** Per client address (default 120 a minute, bursts of 30). */
  rateLimit?: RateLimitOptions;
  /** Bodies of loaded batches are deleted this many days after they arrived (default 30). */
  retainDays?: number;
  /** Larger bodies get 413; split the stream into batches. */
  maxBodyBytes?: number;
  /** How often batches acknowledged while Temporal was away are tried again (default 5 s). */
  pendingRetryMs?: number;
}

export interface EventsServer {
  url: string;
  tokenRequired: boolean;
  close(): Promise<void>;
}

export const DEFAULT_RETAIN_DAYS = 30;
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perMinute: 120, burst: 30 };
const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const RETENTION_SWEEP_MS = 60 * 60 * 1000;

interface InvalidEvent {
  line: number;
  column: string;
  value: string | undefined;
  reason: string;
}

interface Server {
  options: EventsServerOptions;
  context: BatchContext;
  pending: ReturnType<typeof pendingIngestions>;
  limit: ReturnType<typeof rateLimiter>;
  tokenRequired: boolean;
}

export async function startEventsServer(options: EventsServerOptions): Promise<EventsServer> {
  const context: BatchContext = { pool: options.pool, client: options.client, taskQueue: options.taskQueue };
  const server: Server = {
    options, context,
    pending: pendingIngestions(context, options.pendingRetryMs ?? 5000),
    limit: rateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT),
    tokenRequired: options.requireToken === true || !isLoopback(options.host),
  };
  const http1 = http.createServer((request, response) => {
    handle(server, request, response).catch((error: unknown) => {
      // Only storage can fail here (the database is away): the batch is not acknowledged, the sender retries.
      send(response, 503, { error: `not stored, try again later: ${error instanceof Error ? error.message : String(error)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    http1.once('error', reject);
    http1.listen(options.port, options.host, () => resolve());
  });
  // Batches stored but never handed to Temporal (it was down, or we stopped in between).
  await server.pending.addUnloaded().catch(() => undefined);
  const retain = () => void deleteLoadedBodies(options.pool, options.retainDays ?? DEFAULT_RETAIN_DAYS).catch(() => undefined);
  retain();
  const sweep = setInterval(retain, RETENTION_SWEEP_MS);
  sweep.unref();
  const address = http1.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`,
    tokenRequired: server.tokenRequired,
    close: () => new Promise<void>((resolve) => {
      clearInterval(sweep);
      server.pending.stop();
      http1.close(() => resolve());
      http1.closeAllConnections();
    }),
  };
}

/** Token and rate limit: what every request but /healthz passes before anything is read. */
function admit(server: Server, request: http.IncomingMessage, response: http.ServerResponse): boolean {
  const token = checkToken(request, server.options.token, server.tokenRequired);
  if (!token.ok) {
    send(response, token.status, { error: token.error });
    return false;
  }
  const rate = server.limit(request.socket.remoteAddress ?? 'unknown');
  if (!rate.ok) {
    send(response, 429, { error: `too many requests from this address; try again in ${rate.retryAfterSeconds} s` }, { 'retry-after': String(rate.retryAfterSeconds) });
    return false;
  }
  return true;
}

async function handle(server: Server, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (request.method === 'GET' && url.pathname === '/healthz') return send(response, 200, { ok: true });
  if (!admit(server, request, response)) return;
  if (request.method === 'GET' && url.pathname.startsWith('/v1/batches/')) {
    const sha256 = url.pathname.slice('/v1/batches/'.length);
    const status = /^[0-9a-f]{64}$/.test(sha256) ? await batchStatus(server.context, sha256) : undefined;
    return status ? send(response, 200, status) : send(response, 404, { error: `no batch ${sha256.slice(0, 80)}` });
  }
  if (url.pathname !== '/v1/events') return send(response, 404, { error: 'not found; POST events to /v1/events' });
  if (request.method !== 'POST') return send(response, 405, { error: 'POST a batch of events to /v1/events' });
  await receiveBatch(server, request, response);
}

/** Reads and checks the whole batch (every problem: 400/413, nothing stored), stores it, answers 202. */
async function receiveBatch(server: Server, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  const bytes = await readBody(request, server.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
  if (!Buffer.isBuffer(bytes)) return send(response, bytes.status, { error: bytes.error, invalidEvents: [] });
  const text = decodeUtf8(bytes);
  if (typeof text !== 'string') return send(response, text.status, { error: text.error, invalidEvents: [] });
  const ndjson = asNdjson(text, request.headers['content-type']);
  if (typeof ndjson !== 'string') return send(response, ndjson.status, { error: ndjson.error, invalidEvents: [] });
  let checked: { events: number; invalid: InvalidEvent[] };
  try {
    checked = validateBatch(ndjson);
  } catch (error) {
    // Whatever the validator cannot digest will never load either: the sender's problem, not ours.
    return send(response, 400, { error: `the batch could not be read (${error instanceof Error ? error.message.slice(0, 200) : 'unreadable'}); nothing was stored`, invalidEvents: [] });
  }
  if (checked.invalid.length > 0) {
    return send(response, 400, {
      error: `batch rejected: ${checked.invalid.length} problem(s); nothing was stored. Fix the events and send the whole batch again.`,
      invalidEvents: checked.invalid,
    });
  }
  if (checked.events === 0) return send(response, 400, { error: 'the batch holds no events', invalidEvents: [] });

  const sha256 = crypto.createHash('sha256').update(ndjson, 'utf8').digest('hex');
  // Autocommit: when this returns, the batch is durable, and only then is it acknowledged.
  await storeBatch(server.options.pool, { sha256, body: ndjson, events: checked.events });
  const workflowId = workflowIds.ingestEvents(batchName(sha256));
  // A repeat of a loaded batch (its body may be gone after the retention period): nothing to start.
  if (await isLoaded(server.options.pool, sha256)) return send(response, 202, { batch: sha256, events: checked.events, stored: true, ingestion: { workflowId, status: 'already loaded' } });
  const ingestion = await startIngestion(server.context, sha256).catch((error: unknown) => {
    server.pending.add(sha256);
    return { workflowId, status: `pending (${error instanceof Error ? error.message : String(error)}); it starts as soon as Temporal answers` };
  });
  send(response, 202, { batch: sha256, events: checked.events, stored: true, ingestion });
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
    // Postgres text cannot hold U+0000: such an event could never load, so it is refused here.
    const nul = Object.entries(parsed.event).find(([, value]) => holdsNul(value));
    if (nul) {
      invalid.push({ line, column: nul[0], value: undefined, reason: 'contains the character U+0000, which cannot be stored; remove it' });
      return;
    }
    const first = seen.get(parsed.event.transactionId);
    if (first && first.text !== canonical) {
      invalid.push({ line, column: 'transactionId', value: parsed.event.transactionId, reason: `appears with different content on line ${first.line} of this batch` });
    } else if (!first) seen.set(parsed.event.transactionId, { line, text: canonical });
  });
  return { events, invalid };
}

function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value !== null && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\0') || holdsNul(v));
  return false;
}

function send(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(`${JSON.stringify(body)}\n`);
}
