// Loads NDJSON events (docs/decisions.md, "Events") into the canonical tables, all or nothing, in one transaction:
// every line is validated (strict: one bad event refuses the whole file), repeats of an event
// already stored with identical content are counted and skipped (an upstream retry), and an id
// stored with other content is refused naming both places. The money goes to payments/refunds
// like every transaction; products and touchpoints to their own tables; each customer becomes its
// own account through a workspace `customer:<id>`.
// Sources: a file (`attribution ingest-events`) or a batch stored by `attribution serve`.
// The statements on the tables are in store/inputs/events.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { pipeline, Readable } from 'node:stream';
import type pg from 'pg';
import { FileRefused, openContainedFile, openNamedFile, type OpenedFile } from '../../common/containedFile';
import { asInputFailure, ErrorType, inputFailure } from '../../common/errors';
import { canonicalJson } from '../../domain/canonicalJson';
import { cutText } from '../../ingest/cutValue';
import { parseEventLine } from '../../ingest/eventSchema';
import { isJourneyStreamFile } from '../../ingest/journeySchema';
import { batchBody } from '../../store/inputs/eventBatches';
import {
  addEventToChunk, copyEventChunk, createEventStage, emptyEventChunk, EVENT_TABLES, insertStagedEvents, stagedCsvTransactions, takeStoredEvents,
} from '../../store/inputs/events';
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
  await createEventStage(client);
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
    rowsRejected: 0, rejects: [], analyze: EVENT_TABLES,
  };
}

/**
 * Staged events whose id is already stored: identical content is an upstream repeat (counted and
 * dropped from the stage), anything else a contradiction; an id that is a CSV payment or refund is
 * one too. Contradictions are added to `rejects`.
 */
async function sortOutStoredIds(client: pg.PoolClient, rejects: RejectedRow[]): Promise<{ duplicates: number; rejectedCount: number }> {
  let duplicates = 0;
  let rejectedCount = 0;
  for (const r of await takeStoredEvents(client)) {
    if (r.same) duplicates += 1;
    else {
      rejectedCount += 1;
      rejects.push({ line: r.line, column: 'transactionId', value: r.transactionId, reason: `was already loaded with different content (${r.storedFile} version ${r.storedVersion}, line ${r.storedLine})` });
    }
  }
  for (const r of await stagedCsvTransactions(client)) {
    rejectedCount += 1;
    rejects.push({ line: r.line, column: 'transactionId', value: r.transactionId, reason: `is already a transaction of ${r.storedFile} version ${r.storedVersion}, line ${r.storedLine}` });
  }
  return { duplicates, rejectedCount };
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
  const body = await batchBody(client, source.sha256);
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
  let chunk = emptyEventChunk();
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
    addEventToChunk(chunk, lineNumber, event, sha);
    if (chunk.events.length >= CHUNK_EVENTS) {
      await copyEventChunk(client, chunk);
      chunk = emptyEventChunk();
      onProgress(events);
    }
  }
  if (rejectedCount === 0) await copyEventChunk(client, chunk);
  onProgress(events);
  return { events, duplicatesInFile, rejectedCount, rejects };
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
