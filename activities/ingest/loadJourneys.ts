// Loads a file of the optional journey stream (docs/data-driven-books.md): touchpoints by
// customer with no money, for the data-driven books to learn from the journeys that did not
// convert. All or nothing, like events: every line is validated, one bad line refuses the file,
// and identical content loads once (its load key). A customer on two lines of one file is an
// error naming both lines. Touchpoints go to journey_touchpoints with their file and line.
import crypto from 'node:crypto';
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';
import { parseJourneyLine } from '../../ingest/journeySchema';
import { copyTextField } from './copyText';
import { copyRows, openSource, type EventsSource, type LoadEventsInput, type LoadEventsResult } from './loadEvents';
import { describeReject, SAMPLE_LIMIT, type RejectedRow } from './loadCsvFile';

/** Journeys per COPY round. */
const CHUNK_ROWS = 20_000;

export async function loadJourneys(
  pool: pg.Pool, input: LoadEventsInput & { source: Extract<EventsSource, { kind: 'file' }> }, onProgress: (rowsRead: number) => void,
): Promise<LoadEventsResult> {
  const { dataset, fileName } = input.source;
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('ingest:events'))");
    const previous = await client.query<{ version: number; rows_read: number; rows_loaded: number }>(
      'SELECT version, rows_read, rows_loaded FROM ingested_files WHERE load_key = $1', [input.expectedLoadKey],
    );
    if (previous.rows[0]) {
      await client.query('ROLLBACK');
      const p = previous.rows[0];
      return { kind: 'events', fileName, status: 'unchanged', version: p.version, rowsRead: p.rows_read, rowsLoaded: p.rows_loaded, rowsDuplicate: 0, rowsRejected: 0, rejectSamples: [] };
    }
    const fileRow = await client.query<{ file_id: string; version: number }>(
      `INSERT INTO ingested_files (dataset, kind, file_name, content_sha256, load_key, version, rows_read, rows_loaded, rows_duplicate, rows_rejected)
       VALUES ($1, 'journeys', $2, 'pending', 'pending:' || txid_current(), coalesce((SELECT max(version) FROM ingested_files WHERE dataset = $1 AND kind = 'journeys'), 0) + 1, 0, 0, 0, 0)
       RETURNING file_id, version`,
      [dataset, fileName],
    );
    const { file_id: fileId, version } = fileRow.rows[0]!;
    const opened = await openSource(client, input.source);
    const read = await copyJourneys(client, fileId, opened.lines, onProgress);
    const contentSha256 = opened.contentSha256();
    if (crypto.createHash('sha256').update(`events\n${contentSha256}`).digest('hex') !== input.expectedLoadKey) {
      throw inputFailure(ErrorType.InvalidInputFile, `${fileName} changed while it was being ingested; run the ingest again once it is complete.`);
    }
    if (read.rejectedCount > 0) {
      const shown = read.rejects.map((r) => `  ${describeReject(fileName, r)}`);
      const more = read.rejectedCount > shown.length ? `\n  ... and ${read.rejectedCount - shown.length} more` : '';
      throw inputFailure(
        ErrorType.InvalidInputFile,
        `${fileName}: ${read.rejectedCount} invalid journey${read.rejectedCount === 1 ? '' : 's'}. A journey file loads whole or not at all; nothing of it was loaded.\n${shown.join('\n')}${more}`,
        { fileName, invalidRows: read.rejectedCount, samples: read.rejects },
      );
    }
    await client.query(
      'UPDATE ingested_files SET content_sha256 = $2, load_key = $3, rows_read = $4, rows_loaded = $4 WHERE file_id = $1',
      [fileId, contentSha256, input.expectedLoadKey, read.journeys],
    );
    await client.query('COMMIT');
    await client.query('ANALYZE journey_touchpoints');
    return { kind: 'events', fileName, status: 'loaded', version, rowsRead: read.journeys, rowsLoaded: read.journeys, rowsDuplicate: 0, rowsRejected: 0, rejectSamples: [] };
  } catch (error) {
    broken = !(await client.query('ROLLBACK').then(() => true, () => false));
    throw error;
  } finally {
    client.release(broken);
  }
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
    touchpoints.forEach((t, i) => {
      rows.push([fileId, lineNumber, i, copyTextField(customerId), copyTextField(t.productId), t.interactionType, t.timestamp].join('\t') + '\n');
    });
    if (rows.length >= CHUNK_ROWS) {
      await copyRows(client, 'COPY journey_touchpoints (file_id, line, position, customer_id, product_id, interaction_type, occurred_at) FROM STDIN', rows);
      rows = [];
      onProgress(journeys);
    }
  }
  if (rejectedCount === 0) await copyRows(client, 'COPY journey_touchpoints (file_id, line, position, customer_id, product_id, interaction_type, occurred_at) FROM STDIN', rows);
  onProgress(journeys);
  return { journeys, rejectedCount, rejects };
}
