// Loads a file of the optional journey stream (docs/data-driven-books.md): touchpoints by
// customer with no money, for the data-driven books to learn from the journeys that did not
// convert. All or nothing, like events: every line is validated, one bad line refuses the file,
// and identical content loads once (its load key). A customer on two lines of one file is an
// error naming both lines. Touchpoints go to journey_touchpoints with their file and line
// (store/inputs/journeys.ts). The version is recorded like every file's (fileVersion.ts).
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';
import { parseJourneyLine } from '../../ingest/journeySchema';
import { copyJourneyRows, JOURNEY_TABLES, journeyRows } from '../../store/inputs/journeys';
import { assertListedContent, loadFileVersion, type FileVersion, type LoadedBody } from './fileVersion';
import { eventsLoadKey, openSource, type EventsSource, type LoadEventsInput, type LoadEventsResult } from './loadEvents';
import { describeReject, SAMPLE_LIMIT, type RejectedRow } from './loadCsvFile';

/** Journeys per COPY round. */
const CHUNK_ROWS = 20_000;

type JourneysInput = LoadEventsInput & { source: Extract<EventsSource, { kind: 'file' }> };

export async function loadJourneys(pool: pg.Pool, input: JourneysInput, onProgress: (rowsRead: number) => void): Promise<LoadEventsResult> {
  const { dataset, fileName } = input.source;
  // Journey loads share the events lock: one event-shape load at a time.
  const key = { dataset, kind: 'journeys', fileName, expectedLoadKey: input.expectedLoadKey, lockKey: 'ingest:events' };
  const result = await loadFileVersion(pool, key, (client, file) => loadJourneyRows(client, file, input, onProgress), (error) => error);
  const { status, version, rowsRead, rowsLoaded } = result;
  return { kind: 'events', fileName, status, version, rowsRead, rowsLoaded, rowsDuplicate: 0, rowsRejected: 0, rejectSamples: [] };
}

/** Validates and COPYs every journey of the file; refuses the whole file when any line is bad. */
async function loadJourneyRows(client: pg.PoolClient, file: FileVersion, input: JourneysInput, onProgress: (rowsRead: number) => void): Promise<LoadedBody> {
  const { fileName } = input.source;
  const opened = await openSource(client, input.source);
  const read = await copyJourneys(client, file.fileId, opened.lines, onProgress);
  const contentSha256 = opened.contentSha256();
  assertListedContent(fileName, eventsLoadKey(contentSha256), input.expectedLoadKey);
  if (read.rejectedCount > 0) {
    const shown = read.rejects.map((r) => `  ${describeReject(fileName, r)}`);
    const more = read.rejectedCount > shown.length ? `\n  ... and ${read.rejectedCount - shown.length} more` : '';
    throw inputFailure(
      ErrorType.InvalidInputFile,
      `${fileName}: ${read.rejectedCount} invalid journey${read.rejectedCount === 1 ? '' : 's'}. A journey file loads whole or not at all; nothing of it was loaded.\n${shown.join('\n')}${more}`,
      { fileName, invalidRows: read.rejectedCount, samples: read.rejects },
    );
  }
  return {
    contentSha256, loadKey: input.expectedLoadKey, rowsRead: read.journeys, rowsLoaded: read.journeys, rowsDuplicate: 0, rowsRejected: 0,
    rejects: [], analyze: JOURNEY_TABLES,
  };
}

async function copyJourneys(client: pg.PoolClient, fileId: string, lines: AsyncIterable<string>, onProgress: (rowsRead: number) => void) {
  const firstLineOf = new Map<string, number>();
  const rejects: RejectedRow[] = [];
  let rejectedCount = 0;
  let journeys = 0;
  let lineNumber = 0;
  let rows: string[] = [];
  const reject = (problems: RejectedRow[]) => {
    rejectedCount += 1;
    for (const row of problems) if (rejects.length < SAMPLE_LIMIT) rejects.push(row);
  };
  for await (const line of lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    journeys += 1;
    const parsed = parseJourneyLine(line);
    if (!parsed.ok) {
      reject(parsed.problems.map((p) => ({ line: lineNumber, column: p.column, value: p.value, reason: p.reason })));
      continue;
    }
    const { customerId, touchpoints } = parsed.journey;
    const first = firstLineOf.get(customerId);
    if (first !== undefined) {
      reject([{ line: lineNumber, column: 'customerId', value: customerId, reason: `already has a journey on line ${first} of this file; put all of a customer's touchpoints on one line` }]);
      continue;
    }
    firstLineOf.set(customerId, lineNumber);
    if (rejectedCount > 0) continue; // refused anyway: only keep validating
    for (const row of journeyRows(fileId, lineNumber, customerId, touchpoints)) rows.push(row);
    if (rows.length >= CHUNK_ROWS) {
      await copyJourneyRows(client, rows);
      rows = [];
      onProgress(journeys);
    }
  }
  if (rejectedCount === 0 && rows.length > 0) await copyJourneyRows(client, rows);
  onProgress(journeys);
  return { journeys, rejectedCount, rejects };
}
