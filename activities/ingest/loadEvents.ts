// Loads NDJSON events (SPEC §3.2) into the canonical tables, all or nothing, in one transaction:
// every line is validated (strict: one bad event refuses the whole file), repeats of an event
// already stored with identical content are counted and skipped (an upstream retry), and an id
// stored with other content is refused naming both places. The money goes to payments/refunds
// like every transaction; products and touchpoints to their own tables; each customer becomes its
// own account through a workspace `customer:<id>`.
// Sources: a file (`attribution ingest-events`) or a batch stored by `attribution serve`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ErrorType, inputFailure } from '../../common/errors';
import { canonicalJson } from '../../domain/canonicalJson';
import { parseEventLine, type CanonicalEvent } from '../../ingest/eventSchema';
import { copyTextField } from './copyText';
import { isJourneyStreamFile } from '../../ingest/journeySchema';
import { sha256OfFile } from './datasetDir';
import { loadJourneys } from './loadJourneys';
import { describeReject, SAMPLE_LIMIT, type LoadCsvFileResult, type RejectedRow } from './loadCsvFile';

export type EventsSource =
  | { kind: 'file'; path: string; dataset: string; fileName: string }
  | { kind: 'batch'; sha256: string };

export interface LoadEventsInput {
  source: EventsSource;
  /** The load key seen when the source was listed; the content must not change in between. */
  expectedLoadKey: string;
}

/** The same counts as a CSV file's; rows are events. Strict: a loaded file has no rejected rows. */
export type LoadEventsResult = Omit<LoadCsvFileResult, 'kind'> & { kind: 'events' };

/** Events per COPY round: bounds the memory a large file needs. */
const CHUNK_EVENTS = 5000;
/** The prefix of the workspace that makes a customer its own account. */
export const CUSTOMER_WORKSPACE_PREFIX = 'customer:';

export function eventsLoadKey(contentSha256: string): string {
  return crypto.createHash('sha256').update(`events\n${contentSha256}`).digest('hex');
}

export function batchName(sha256: string): string {
  return `batch-${sha256.slice(0, 12)}`;
}

export async function loadEvents(pool: pg.Pool, input: LoadEventsInput, onProgress: (rowsRead: number) => void = () => undefined): Promise<LoadEventsResult> {
  const source = input.source;
  // The optional stream of non-converting journeys travels with the events, under its own file name.
  if (source.kind === 'file' && isJourneyStreamFile(source.fileName)) return loadJourneys(pool, { ...input, source }, onProgress);
  const client = await pool.connect();
  let broken = false;
  try {
    const { dataset, fileName } = sourceNames(source);
    await client.query('BEGIN');
    // Event loads run one at a time: whether an id is new, a repeat or a contradiction stays exact.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('ingest:events'))");

    const previous = await client.query<{ version: number; rows_read: number; rows_loaded: number; rows_duplicate: number }>(
      'SELECT version, rows_read, rows_loaded, rows_duplicate FROM ingested_files WHERE load_key = $1',
      [input.expectedLoadKey],
    );
    if (previous.rows[0]) {
      await client.query('ROLLBACK');
      const p = previous.rows[0];
      return { kind: 'events', fileName, status: 'unchanged', version: p.version, rowsRead: p.rows_read, rowsLoaded: p.rows_loaded, rowsDuplicate: p.rows_duplicate, rowsRejected: 0, rejectSamples: [] };
    }

    const fileRow = await client.query<{ file_id: string; version: number }>(
      `INSERT INTO ingested_files (dataset, kind, file_name, content_sha256, load_key, version, rows_read, rows_loaded, rows_duplicate, rows_rejected)
       VALUES ($1, 'events', $2, 'pending', 'pending:' || txid_current(), coalesce((SELECT max(version) FROM ingested_files WHERE dataset = $1 AND kind = 'events'), 0) + 1, 0, 0, 0, 0)
       RETURNING file_id, version`,
      [dataset, fileName],
    );
    const fileId = fileRow.rows[0]!.file_id;
    const version = fileRow.rows[0]!.version;
    await client.query(`CREATE TEMP TABLE stage_events (line integer, transaction_id text, kind text, customer_id text, source text,
      bundle_id text, refund_of text, content_sha256 text, amount numeric(18,4), currency char(3), at timestamptz) ON COMMIT DROP`);
    await client.query(`CREATE TEMP TABLE stage_products (transaction_id text, position integer, product_id text, quantity numeric,
      unit_price numeric, metadata jsonb) ON COMMIT DROP`);
    await client.query(`CREATE TEMP TABLE stage_touchpoints (transaction_id text, position integer, product_id text,
      interaction_type text, occurred_at timestamptz, weight numeric) ON COMMIT DROP`);

    const opened = await openSource(client, source);
    const read = await stageEvents(client, opened.lines, onProgress);
    const contentSha256 = opened.contentSha256();
    if (eventsLoadKey(contentSha256) !== input.expectedLoadKey) {
      throw inputFailure(ErrorType.InvalidInputFile, `${fileName} changed while it was being ingested; run the ingest again once it is complete.`);
    }
    const rejects = read.rejects;
    failIfAny(fileName, read.rejectedCount, rejects);

    // Ids already stored: identical content is an upstream repeat, anything else a contradiction.
    await client.query('ANALYZE stage_events');
    const stored = await client.query<{ line: number; transaction_id: string; same: boolean; stored_file: string; stored_version: number; stored_line: number }>(
      `SELECT s.line, s.transaction_id, t.content_sha256 = s.content_sha256 AS same, f.file_name AS stored_file, f.version AS stored_version, t.line AS stored_line
         FROM stage_events s JOIN event_transactions t USING (transaction_id) JOIN ingested_files f ON f.file_id = t.file_id
        ORDER BY s.line`,
    );
    let rowsDuplicate = read.duplicatesInFile;
    let rejectedCount = 0;
    for (const r of stored.rows) {
      if (r.same) rowsDuplicate += 1;
      else {
        rejectedCount += 1;
        rejects.push({ line: r.line, column: 'transactionId', value: r.transaction_id, reason: `was already loaded with different content (${r.stored_file} version ${r.stored_version}, line ${r.stored_line})` });
      }
    }
    await client.query('DELETE FROM stage_events s USING event_transactions t WHERE t.transaction_id = s.transaction_id');
    // Ids of the CSV shape: a payment or refund id that no event brought.
    const csv = await client.query<{ line: number; transaction_id: string; stored_file: string; stored_version: number; stored_line: number }>(
      `SELECT s.line, s.transaction_id, f.file_name AS stored_file, f.version AS stored_version, x.line AS stored_line
         FROM stage_events s
         JOIN (SELECT payment_id AS id, file_id, line FROM payments UNION ALL SELECT refund_id, file_id, line FROM refunds) x ON x.id = s.transaction_id
         JOIN ingested_files f ON f.file_id = x.file_id
        ORDER BY s.line`,
    );
    for (const r of csv.rows) {
      rejectedCount += 1;
      rejects.push({ line: r.line, column: 'transactionId', value: r.transaction_id, reason: `is already a transaction of ${r.stored_file} version ${r.stored_version}, line ${r.stored_line}` });
    }
    failIfAny(fileName, rejectedCount, rejects);

    const loaded = await client.query(
      `INSERT INTO event_transactions (transaction_id, kind, customer_id, source, bundle_id, refund_of, content_sha256, file_id, line)
       SELECT transaction_id, kind, customer_id, source, bundle_id, refund_of, content_sha256, $1, line FROM stage_events`,
      [fileId],
    );
    await client.query(
      `INSERT INTO event_products SELECT p.* FROM stage_products p JOIN stage_events s USING (transaction_id)`,
    );
    await client.query(
      `INSERT INTO event_touchpoints SELECT t.* FROM stage_touchpoints t JOIN stage_events s USING (transaction_id)`,
    );
    await client.query(
      `INSERT INTO payments (payment_id, user_id, amount, currency, paid_at, file_id, line)
       SELECT transaction_id, customer_id, amount, currency, at, $1, line FROM stage_events WHERE kind = 'payment'`,
      [fileId],
    );
    await client.query(
      `INSERT INTO refunds (refund_id, user_id, amount, currency, refunded_at, payment_id, file_id, line)
       SELECT transaction_id, customer_id, amount, currency, at, refund_of, $1, line FROM stage_events WHERE kind = 'refund'`,
      [fileId],
    );
    await client.query(
      `INSERT INTO workspaces (workspace_id, owner_id, member_ids, file_id, line)
       SELECT $2 || customer_id, customer_id, '{}', $1, min(line) FROM stage_events GROUP BY customer_id
       ON CONFLICT (workspace_id) DO NOTHING`,
      [fileId, CUSTOMER_WORKSPACE_PREFIX],
    );
    const rowsLoaded = loaded.rowCount ?? 0;
    await client.query(
      `UPDATE ingested_files SET content_sha256 = $2, load_key = $3, rows_read = $4, rows_loaded = $5, rows_duplicate = $6 WHERE file_id = $1`,
      [fileId, contentSha256, input.expectedLoadKey, read.events, rowsLoaded, rowsDuplicate],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE event_transactions, event_products, event_touchpoints, payments, refunds, workspaces');
    return { kind: 'events', fileName, status: 'loaded', version, rowsRead: read.events, rowsLoaded, rowsDuplicate, rowsRejected: 0, rejectSamples: [] };
  } catch (error) {
    broken = !(await client.query('ROLLBACK').then(() => true, () => false));
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Where the source is recorded in ingested_files: versions count per (dataset, kind). */
function sourceNames(source: EventsSource): { dataset: string; fileName: string } {
  if (source.kind === 'file') return { dataset: source.dataset, fileName: source.fileName };
  const name = batchName(source.sha256);
  return { dataset: `http/${name}`, fileName: name };
}

/** The source's lines, and the sha256 of its bytes once they have all been read. */
interface OpenedSource {
  lines: AsyncIterable<string>;
  contentSha256: () => string;
}

export async function openSource(client: pg.PoolClient, source: EventsSource): Promise<OpenedSource> {
  if (source.kind === 'file') {
    if (!fs.existsSync(source.path)) throw inputFailure(ErrorType.InvalidDataset, `${source.path} does not exist.`);
    const hash = crypto.createHash('sha256');
    const bytes = fs.createReadStream(source.path);
    bytes.on('data', (chunk) => hash.update(chunk as Buffer));
    return {
      lines: readline.createInterface({ input: bytes, crlfDelay: Infinity }),
      contentSha256: () => hash.digest('hex'),
    };
  }
  const batch = await client.query<{ body: string }>('SELECT body FROM event_batches WHERE batch_sha256 = $1', [source.sha256]);
  const body = batch.rows[0]?.body;
  if (body === undefined) throw inputFailure(ErrorType.InvalidDataset, `Event batch ${source.sha256} is not stored in event_batches.`);
  return {
    lines: readline.createInterface({ input: Readable.from([body]), crlfDelay: Infinity }),
    contentSha256: () => crypto.createHash('sha256').update(body, 'utf8').digest('hex'),
  };
}

interface StagedRead {
  events: number;
  duplicatesInFile: number;
  rejectedCount: number;
  rejects: RejectedRow[];
}

/** Validates every line and COPYs the events, their products and touchpoints into the stage tables. */
async function stageEvents(client: pg.PoolClient, lines: AsyncIterable<string>, onProgress: (rowsRead: number) => void): Promise<StagedRead> {
  const seen = new Map<string, { line: number; sha: string }>();
  const rejects: RejectedRow[] = [];
  let rejectedCount = 0;
  let events = 0;
  let duplicatesInFile = 0;
  let chunk = emptyChunk();
  let lineNumber = 0;
  /** One bad event counts once, each of its problems is shown. */
  const reject = (problems: RejectedRow[]) => {
    rejectedCount += 1;
    for (const row of problems) if (rejects.length < SAMPLE_LIMIT) rejects.push(row);
  };

  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    events += 1;
    const parsed = parseEventLine(line);
    if (!parsed.ok) {
      reject(parsed.problems.map((p) => ({ line: lineNumber, column: p.column, value: p.value, reason: p.reason })));
      continue;
    }
    const event = parsed.event;
    const sha = crypto.createHash('sha256').update(canonicalJson(event)).digest('hex');
    const first = seen.get(event.transactionId);
    if (first) {
      if (first.sha === sha) duplicatesInFile += 1;
      else reject([{ line: lineNumber, column: 'transactionId', value: event.transactionId, reason: `appears with different content on line ${first.line} of this file` }]);
      continue;
    }
    seen.set(event.transactionId, { line: lineNumber, sha });
    if (rejectedCount > 0) continue; // the file is refused anyway: only keep validating
    addToChunk(chunk, lineNumber, event, sha);
    if (chunk.events.length >= CHUNK_EVENTS) {
      await copyChunk(client, chunk);
      chunk = emptyChunk();
      onProgress(events);
    }
  }
  if (rejectedCount === 0) await copyChunk(client, chunk);
  onProgress(events);
  return { events, duplicatesInFile, rejectedCount, rejects };
}

interface Chunk {
  events: string[];
  products: string[];
  touchpoints: string[];
}

const emptyChunk = (): Chunk => ({ events: [], products: [], touchpoints: [] });
const text = (v: string | null) => (v === null ? '\\N' : copyTextField(v));

function addToChunk(chunk: Chunk, line: number, e: CanonicalEvent, sha: string): void {
  const id = copyTextField(e.transactionId);
  chunk.events.push([line, id, e.kind, text(e.customerId), e.source, text(e.bundleId), text(e.refundOf), sha, e.grossAmount, e.currency, e.timestamp].join('\t') + '\n');
  e.products.forEach((p, i) => {
    const metadata = p.metadata === null ? null : JSON.stringify(p.metadata);
    chunk.products.push([id, i, text(p.productId), p.quantity, p.unitPrice, text(metadata)].join('\t') + '\n');
  });
  e.touchpoints.forEach((t, i) => {
    chunk.touchpoints.push([id, i, text(t.productId), t.interactionType, t.timestamp, t.weight ?? '\\N'].join('\t') + '\n');
  });
}

async function copyChunk(client: pg.PoolClient, chunk: Chunk): Promise<void> {
  await copyRows(client, 'COPY stage_events FROM STDIN', chunk.events);
  await copyRows(client, 'COPY stage_products FROM STDIN', chunk.products);
  await copyRows(client, 'COPY stage_touchpoints FROM STDIN', chunk.touchpoints);
}

export function copyRows(client: pg.PoolClient, sql: string, rows: string[]): Promise<void> {
  if (rows.length === 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const copy = client.query(copyFrom(sql));
    copy.once('finish', resolve);
    copy.once('error', reject);
    copy.end(rows.join(''));
  });
}

/** Events are billing: one bad event refuses the whole file (SPEC §3.3). */
function failIfAny(fileName: string, count: number, rejects: RejectedRow[]): void {
  if (count === 0) return;
  const shown = rejects.slice(0, SAMPLE_LIMIT).map((r) => `  ${describeReject(fileName, r)}`);
  const more = count > shown.length ? `\n  ... and ${count - shown.length} more` : '';
  throw inputFailure(
    ErrorType.InvalidInputFile,
    `${fileName}: ${count} invalid event${count === 1 ? '' : 's'}. Events are billing data, so one bad event refuses the whole file; nothing of it was loaded.\n${shown.join('\n')}${more}`,
    { fileName, invalidRows: count, samples: rejects.slice(0, SAMPLE_LIMIT) },
  );
}

export interface EventFile {
  source: EventsSource;
  loadKey: string;
}

/**
 * The NDJSON files of `attribution ingest-events <file|dir>` (a directory: its `*.ndjson` and
 * `*.jsonl` files in name order), with their load keys. A file's versions count under
 * `<directory name>/<file name>`, so a changed file loads as the next version of that name.
 */
export async function listEventFiles(target: string): Promise<EventFile[]> {
  if (!fs.existsSync(target)) throw inputFailure(ErrorType.InvalidDataset, `${target} does not exist; give an NDJSON file or a directory of them.`);
  const files = fs.statSync(target).isDirectory()
    ? fs.readdirSync(target).filter((f) => /\.(ndjson|jsonl)$/i.test(f)).sort().map((f) => path.join(target, f))
    : [target];
  if (files.length === 0) throw inputFailure(ErrorType.InvalidDataset, `${target} has no *.ndjson or *.jsonl files.`);
  const listed: EventFile[] = [];
  for (const file of files) {
    const fileName = path.basename(file);
    const dataset = `${path.basename(path.dirname(path.resolve(file)))}/${fileName}`;
    listed.push({ source: { kind: 'file', path: path.resolve(file), dataset, fileName }, loadKey: eventsLoadKey(await sha256OfFile(file)) });
  }
  return listed;
}
