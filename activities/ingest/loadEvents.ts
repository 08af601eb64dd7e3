// Loads NDJSON events (docs/decisions.md, "Events") into the canonical tables, all or nothing, in one transaction:
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
import { pipeline, Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { FileRefused, openContainedFile, openNamedFile, type OpenedFile } from '../../common/containedFile';
import { asInputFailure, ErrorType, inputFailure } from '../../common/errors';
import { canonicalJson } from '../../domain/canonicalJson';
import { cutText } from '../../ingest/cutValue';
import { parseEventLine, type CanonicalEvent } from '../../ingest/eventSchema';
import { copyTextField } from './copyText';
import { isJourneyStreamFile } from '../../ingest/journeySchema';
import { sha256OfOpened } from './datasetDir';
import { assertListedContent, loadFileVersion, type FileVersion, type LoadedBody, type RejectedRow } from './fileVersion';
import { describeReject, SAMPLE_LIMIT, type LoadCsvFileResult } from './loadCsvFile';
import { refundExcesses } from './refundBalance';
import { strictBytes } from './strictBytes';
import { loadJourneys } from './loadJourneys';

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
  // The optional stream of non-converting journeys travels with the events, under its own file name.
  if (input.source.kind === 'file' && isJourneyStreamFile(input.source.fileName)) return loadJourneys(pool, { ...input, source: input.source }, onProgress);
  const { dataset, fileName } = sourceNames(input.source);
  const position = { line: 0 };
  // Event loads run one at a time: whether an id is new, a repeat or a contradiction stays exact.
  const key = { dataset, kind: 'events', fileName, expectedLoadKey: input.expectedLoadKey, lockKey: 'ingest:events' };
  const result = await loadFileVersion(
    pool, key,
    (client, file) => loadEventRows(client, file, { input, fileName, position, onProgress }),
    (error) => asInputFailure(error, fileName, position.line || undefined),
  );
  const { rejects: _none, ...counts } = result;
  return { kind: 'events', fileName, ...counts, rejectSamples: [] };
}

interface EventsLoad {
  input: LoadEventsInput;
  fileName: string;
  position: { line: number };
  onProgress: (rowsRead: number) => void;
}

/** Validates and stages every event, sorts out ids already stored, then writes the new events. */
async function loadEventRows(client: pg.PoolClient, file: FileVersion, load: EventsLoad): Promise<LoadedBody> {
  const { input, fileName } = load;
  await createStageTables(client);
  const opened = await openSource(client, input.source);
  const read = await stageEvents(client, opened.lines, load.onProgress, load.position);
  const contentSha256 = opened.contentSha256();
  assertListedContent(fileName, eventsLoadKey(contentSha256), input.expectedLoadKey);
  const rejects = read.rejects;
  failIfAny(fileName, read.rejectedCount, rejects);

  const stored = await sortOutStoredIds(client, rejects);
  failIfAny(fileName, stored.rejectedCount, rejects);
  const rowsLoaded = await insertStagedEvents(client, file.fileId);
  let rejectedCount = 0;
  for (const excess of await refundExcesses(client, file.fileId, 'grossAmount')) {
    rejectedCount += 1;
    rejects.push({ ...excess, value: cutText(excess.value) });
  }
  failIfAny(fileName, rejectedCount, rejects);
  return {
    contentSha256, loadKey: input.expectedLoadKey, rowsRead: read.events, rowsLoaded, rowsDuplicate: read.duplicatesInFile + stored.duplicates,
    rowsRejected: 0, rejects: [], analyze: 'event_transactions, event_products, event_touchpoints, payments, refunds, workspaces',
  };
}

async function createStageTables(client: pg.PoolClient): Promise<void> {
  await client.query(`CREATE TEMP TABLE stage_events (line integer, transaction_id text, kind text, customer_id text, source text,
    bundle_id text, refund_of text, content_sha256 text, amount numeric(18,4), currency char(3), at timestamptz) ON COMMIT DROP`);
  await client.query(`CREATE TEMP TABLE stage_products (transaction_id text, position integer, product_id text, quantity numeric,
    unit_price numeric, metadata jsonb) ON COMMIT DROP`);
  await client.query(`CREATE TEMP TABLE stage_touchpoints (transaction_id text, position integer, product_id text,
    interaction_type text, occurred_at timestamptz, weight numeric) ON COMMIT DROP`);
}

/**
 * Staged events whose id is already stored: identical content is an upstream repeat (counted and
 * dropped from the stage), anything else a contradiction; an id that is a CSV payment or refund is
 * one too. Contradictions are added to `rejects`.
 */
async function sortOutStoredIds(client: pg.PoolClient, rejects: RejectedRow[]): Promise<{ duplicates: number; rejectedCount: number }> {
  await client.query('ANALYZE stage_events');
  const stored = await client.query<{ line: number; transaction_id: string; same: boolean; stored_file: string; stored_version: number; stored_line: number }>(
    `SELECT s.line, s.transaction_id, t.content_sha256 = s.content_sha256 AS same, f.file_name AS stored_file, f.version AS stored_version, t.line AS stored_line
       FROM stage_events s JOIN event_transactions t USING (transaction_id) JOIN ingested_files f ON f.file_id = t.file_id
      ORDER BY s.line`,
  );
  let duplicates = 0;
  let rejectedCount = 0;
  for (const r of stored.rows) {
    if (r.same) duplicates += 1;
    else {
      rejectedCount += 1;
      rejects.push({ line: r.line, column: 'transactionId', value: r.transaction_id, reason: `was already loaded with different content (${r.stored_file} version ${r.stored_version}, line ${r.stored_line})` });
    }
  }
  await client.query('DELETE FROM stage_events s USING event_transactions t WHERE t.transaction_id = s.transaction_id');
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
  return { duplicates, rejectedCount };
}

/** Writes the staged (new) events: money to payments/refunds, products, touchpoints, one workspace per customer. */
async function insertStagedEvents(client: pg.PoolClient, fileId: string): Promise<number> {
  const loaded = await client.query(
    `INSERT INTO event_transactions (transaction_id, kind, customer_id, source, bundle_id, refund_of, content_sha256, file_id, line)
     SELECT transaction_id, kind, customer_id, source, bundle_id, refund_of, content_sha256, $1, line FROM stage_events`,
    [fileId],
  );
  await client.query(`INSERT INTO event_products SELECT p.* FROM stage_products p JOIN stage_events s USING (transaction_id)`);
  await client.query(`INSERT INTO event_touchpoints SELECT t.* FROM stage_touchpoints t JOIN stage_events s USING (transaction_id)`);
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
  return loaded.rowCount ?? 0;
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
    const opened = openEventFile(source.path);
    if (!opened) throw inputFailure(ErrorType.InvalidDataset, `${source.path} does not exist.`);
    const hash = crypto.createHash('sha256');
    // pipeline, not pipe: a refusal by the strict-bytes step also closes the file.
    const bytes = pipeline(fs.createReadStream('', { fd: opened.fd, autoClose: true }), strictBytes(source.fileName, hash), () => undefined);
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

/** An events file named outright: a regular file only (common/containedFile.ts); undefined when it does not exist. */
function openEventFile(filePath: string): OpenedFile | undefined {
  try {
    return openNamedFile(filePath, 'The events file');
  } catch (error) {
    if (error instanceof FileRefused) throw inputFailure(ErrorType.InvalidDataset, `${error.message} Nothing of it was read.`);
    throw error;
  }
}

interface StagedRead {
  events: number;
  duplicatesInFile: number;
  rejectedCount: number;
  rejects: RejectedRow[];
}

/** Validates every line and COPYs the events, their products and touchpoints into the stage tables. */
async function stageEvents(
  client: pg.PoolClient, lines: AsyncIterable<string>, onProgress: (rowsRead: number) => void, position: { line: number },
): Promise<StagedRead> {
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
    for (const row of problems) if (rejects.length < SAMPLE_LIMIT) rejects.push({ ...row, value: row.value === undefined ? undefined : cutText(row.value) });
  };

  for await (const line of lines) {
    lineNumber += 1;
    position.line = lineNumber;
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

/** Events are billing: one bad event refuses the whole file (docs/decisions.md, "Input"). */
function failIfAny(fileName: string, count: number, rejects: RejectedRow[]): void {
  if (count === 0) return;
  const shown = rejects.slice(0, SAMPLE_LIMIT).map((r) => `  ${describeReject(fileName, r)}`);
  const more = count > shown.length ? `\n  ... and ${count - shown.length} more` : '';
  throw inputFailure(
    ErrorType.InvalidInputFile,
    `${fileName}: ${count} invalid event${count === 1 ? '' : 's'}. Events are billing data, so one bad event refuses the whole file; nothing of it was loaded. Correct the events below and ingest the file again.\n${shown.join('\n')}${more}`,
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
  const isDir = fs.statSync(target).isDirectory();
  const names = isDir ? fs.readdirSync(target).filter((f) => /\.(ndjson|jsonl)$/i.test(f)).sort() : [path.basename(target)];
  if (names.length === 0) throw inputFailure(ErrorType.InvalidDataset, `${target} has no *.ndjson or *.jsonl files.`);
  const listed: EventFile[] = [];
  for (const fileName of names) {
    const file = isDir ? path.join(target, fileName) : target;
    // In a directory, only files inside it (common/containedFile.ts); a file named outright may be a link to a regular file.
    const opened = isDir ? openListedFile(target, fileName) : openEventFile(file);
    if (!opened) throw inputFailure(ErrorType.InvalidDataset, `${file} does not exist.`);
    const dataset = `${path.basename(path.dirname(path.resolve(file)))}/${fileName}`;
    listed.push({ source: { kind: 'file', path: path.resolve(file), dataset, fileName }, loadKey: eventsLoadKey(await sha256OfOpened(opened)) });
  }
  return listed;
}

function openListedFile(dir: string, fileName: string): OpenedFile | undefined {
  try {
    return openContainedFile(dir, fileName, 'The events file');
  } catch (error) {
    if (error instanceof FileRefused) throw inputFailure(ErrorType.InvalidDataset, `${error.message} Nothing of it was read.`);
    throw error;
  }
}
