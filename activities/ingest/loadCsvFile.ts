// Loads one CSV file of a dataset into its canonical table, all or nothing, in one transaction.
// First the direct load (directLoad.ts: split → validate → COPY straight into the table), which
// covers plain files whose ids are new; where it cannot be exact it steps back (savepoint) and the
// staging path runs: parse (csv-parse) → validate each row → COPY into a staging table → INSERT
// into the target with ON CONFLICT DO NOTHING, telling repeats from contradictions. Both end by
// recording the file version. A retry after a crash either finds the committed file version (and
// returns its counts) or starts from scratch.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { ApplicationFailure } from '@temporalio/common';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { OpenedFile } from '../../common/containedFile';
import { asInputFailure, ErrorType, inputFailure } from '../../common/errors';
import { cutText } from '../../ingest/cutValue';
import { FILE_SPECS, rowParsers, validateRow, type CsvKind } from '../../ingest/fileSpecs';
import { describeUtf8Problem, Utf8Checker } from '../../ingest/utf8';
import { copyTextField } from './copyText';
import { checkHeader, lineTooLong, MAX_LINE_BYTES, mergeProblems, type Header } from './csvRows';
import { tryDirectLoad } from './directLoad';
import { refundExcesses } from './refundBalance';
import { fileNameFor, loadKeyOf, openDatasetFile, readDatasetSettings, datasetName } from './datasetDir';
import { collisionSql, mergeSql, TARGET_TABLES } from './targetTables';

export interface LoadCsvFileInput {
  dir: string;
  kind: CsvKind;
  /** Usage/integration rows that may be quarantined before the file fails (null: dataset.yaml's
   *  max_rejects, else 0). Billing files ignore it: they are always strict. */
  maxRejects: number | null;
  /** The load key seen when the dataset was listed; the file must not change in between. */
  expectedLoadKey: string;
}

export interface RejectedRow {
  line: number;
  column: string | undefined;
  value: string | undefined;
  reason: string;
}

export interface LoadCsvFileResult {
  kind: CsvKind;
  fileName: string;
  /** `unchanged`: this exact content was loaded before, nothing was done. */
  status: 'loaded' | 'unchanged';
  version: number;
  rowsRead: number;
  rowsLoaded: number;
  /** Rows whose id was already stored with identical content (an earlier version, or a repeat). */
  rowsDuplicate: number;
  rowsRejected: number;
  /** The first rejected rows (at most SAMPLE_LIMIT), for the summary. */
  rejectSamples: RejectedRow[];
}

export const SAMPLE_LIMIT = 20;
const COPY_BATCH_ROWS = 2000;

export interface LoadProgress {
  (rowsRead: number): void;
}

export async function loadCsvFile(pool: pg.Pool, input: LoadCsvFileInput, onProgress: LoadProgress = () => undefined): Promise<LoadCsvFileResult> {
  const settings = readDatasetSettings(input.dir);
  const spec = FILE_SPECS[input.kind];
  const fileName = fileNameFor(input.kind, settings);
  const open = (): OpenedFile => {
    const opened = openDatasetFile(input.dir, fileName);
    if (!opened) throw inputFailure(ErrorType.InvalidDataset, `${fileName} was listed but is gone; run the ingest again.`);
    return opened;
  };
  const position = { line: 0 };
  const dataset = datasetName(input.dir, settings);
  const strict = spec.billing;
  const maxRejects = strict ? 0 : (input.maxRejects ?? settings.maxRejects ?? 0);

  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    // One loader per (dataset, kind) at a time: version numbers and no-op checks stay exact.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ingest:${dataset}:${input.kind}`]);

    // Loaded before with identical content and settings: a no-op that reports what that load did.
    const previous = await client.query<StoredFileRow>(
      'SELECT version, rows_read, rows_loaded, rows_duplicate, rows_rejected FROM ingested_files WHERE load_key = $1',
      [input.expectedLoadKey],
    );
    if (previous.rows[0]) {
      await client.query('ROLLBACK');
      const p = previous.rows[0];
      return {
        kind: input.kind, fileName, status: 'unchanged', version: p.version, rowsRead: p.rows_read, rowsLoaded: p.rows_loaded,
        rowsDuplicate: p.rows_duplicate, rowsRejected: p.rows_rejected, rejectSamples: [],
      };
    }

    // The real checksum is known only after reading; the row is completed before commit.
    const fileRow = await client.query<{ file_id: string; version: number }>(
      `INSERT INTO ingested_files (dataset, kind, file_name, content_sha256, load_key, version, rows_read, rows_loaded, rows_duplicate, rows_rejected)
       VALUES ($1, $2, $3, 'pending', 'pending:' || txid_current(), coalesce((SELECT max(version) FROM ingested_files WHERE dataset = $1 AND kind = $2), 0) + 1, 0, 0, 0, 0)
       RETURNING file_id, version`,
      [dataset, input.kind, fileName],
    );
    const fileId = fileRow.rows[0]!.file_id;
    const version = fileRow.rows[0]!.version;

    let rejects: RejectedRow[] = [];
    let rejectedCount = 0;
    const reject = (row: RejectedRow) => {
      rejectedCount += 1;
      if (rejects.length < Math.max(SAMPLE_LIMIT, maxRejects + 1)) rejects.push({ ...row, value: row.value === undefined ? undefined : cutText(row.value) });
    };

    let hash = crypto.createHash('sha256');
    await client.query('SAVEPOINT direct_load');
    const direct = await tryDirectLoad(client, { open, fileName, kind: input.kind, settings, fileId, hash, reject, onProgress, position });
    let rowsRead: number;
    let rowsLoaded: number | undefined;
    if (direct.loaded) {
      rowsRead = direct.rowsRead;
      rowsLoaded = direct.rowsLoaded;
      await client.query('RELEASE SAVEPOINT direct_load');
    } else {
      await client.query('ROLLBACK TO SAVEPOINT direct_load');
      rejects = [];
      rejectedCount = 0;
      hash = crypto.createHash('sha256');
      await client.query(
        `CREATE TEMP TABLE stage (line integer NOT NULL, ${spec.columns.map((c) => `${c} text`).join(', ')}) ON COMMIT DROP`,
      );
      rowsRead = await streamIntoStage(client, { open, fileName, kind: input.kind, settings, hash, reject, onProgress, position });
    }
    const contentSha256 = hash.digest('hex');
    const loadKey = loadKeyOf(contentSha256, settings, input.kind);

    if (loadKey !== input.expectedLoadKey) {
      throw inputFailure(ErrorType.InvalidInputFile, `${fileName} changed while it was being ingested; run the ingest again once it is complete.`);
    }
    failIfTooMany(fileName, strict, maxRejects, rejectedCount, rejects);

    let rowsDuplicate = 0;
    if (rowsLoaded === undefined) {
      // The merge and the collision check of a large file take minutes of SQL: keep heartbeating.
      const merged = await whileHeartbeating(() => client.query(mergeSql(input.kind), [fileId]), () => onProgress(rowsRead));
      rowsLoaded = merged.rowCount ?? 0;
      const staged = rowsRead - rejectedCount;
      if (rowsLoaded < staged) {
        // Some ids were already stored: harmless repeats, or contradictions that must not pass silently.
        const collisions = await whileHeartbeating(() => client.query<Collision>(collisionSql(input.kind), [fileId]), () => onProgress(rowsRead));
        for (const c of collisions.rows) {
          if (c.same) rowsDuplicate += 1;
          else {
            const where = c.same_file ? `line ${c.stored_line} of this file` : `${c.stored_file} version ${c.stored_version}, line ${c.stored_line}`;
            reject({ line: c.line, column: spec.idColumn, value: c.id, reason: `${spec.idColumn} ${c.id} was already loaded with different content (${where})` });
          }
        }
        failIfTooMany(fileName, strict, maxRejects, rejectedCount, rejects);
      }
    }

    if (input.kind === 'payments' || input.kind === 'refunds') {
      const excesses = await refundExcesses(client, fileId, 'amount');
      for (const excess of excesses) reject(excess);
      failIfTooMany(fileName, strict, maxRejects, rejectedCount, rejects);
    }

    if (rejects.length > 0) {
      await client.query(
        `INSERT INTO ingest_rejects (file_id, line, column_name, value, reason)
         SELECT $1::bigint, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[])`,
        [fileId, rejects.map((r) => r.line), rejects.map((r) => r.column ?? null), rejects.map((r) => r.value ?? null), rejects.map((r) => r.reason)],
      );
    }
    await client.query(
      `UPDATE ingested_files SET content_sha256 = $2, load_key = $3, rows_read = $4, rows_loaded = $5, rows_duplicate = $6, rows_rejected = $7
       WHERE file_id = $1`,
      [fileId, contentSha256, loadKey, rowsRead, rowsLoaded, rowsDuplicate, rejectedCount],
    );
    await client.query('COMMIT');
    // Fresh statistics for the rows just loaded, so that the run's joins get sensible plans.
    await client.query(`ANALYZE ${TARGET_TABLES[input.kind].table}`);
    return {
      kind: input.kind, fileName, status: 'loaded', version, rowsRead, rowsLoaded, rowsDuplicate, rowsRejected: rejectedCount,
      rejectSamples: rejects.slice(0, SAMPLE_LIMIT),
    };
  } catch (error) {
    // A connection that cannot even roll back is discarded rather than returned to the pool.
    broken = !(await client.query('ROLLBACK').then(() => true, () => false));
    throw asInputFailure(error, fileName, position.line || undefined);
  } finally {
    client.release(broken);
  }
}

const HEARTBEAT_INTERVAL_MS = 10_000;

/** Runs a long statement while calling `beat` every few seconds, so the activity is not timed out. */
async function whileHeartbeating<T>(work: () => Promise<T>, beat: () => void): Promise<T> {
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

interface StoredFileRow {
  version: number;
  rows_read: number;
  rows_loaded: number;
  rows_duplicate: number;
  rows_rejected: number;
}

interface Collision {
  line: number;
  id: string;
  stored_line: number;
  stored_file: string;
  stored_version: number;
  same_file: boolean;
  same: boolean;
}

export function describeReject(fileName: string, r: RejectedRow): string {
  const column = r.column ? `, column ${r.column}` : '';
  const value = r.value !== undefined ? ` ${JSON.stringify(r.value)}` : '';
  return `${fileName} line ${r.line}${column}:${value} ${r.reason}`;
}

function failIfTooMany(fileName: string, strict: boolean, maxRejects: number, count: number, rejects: RejectedRow[]): void {
  if (count === 0 || (!strict && count <= maxRejects)) return;
  const policy = strict
    ? 'It is a billing file, so one bad row refuses the whole file (strict policy); nothing of it was loaded. Correct the rows below and ingest it again.'
    : `That is more than --max-rejects ${maxRejects}; nothing of the file was loaded. Fix the rows, or raise --max-rejects to quarantine them.`;
  const shown = rejects.slice(0, SAMPLE_LIMIT).map((r) => `  ${describeReject(fileName, r)}`);
  const more = count > shown.length ? `\n  ... and ${count - shown.length} more` : '';
  throw inputFailure(
    ErrorType.InvalidInputFile,
    `${fileName}: ${count} invalid row${count === 1 ? '' : 's'}. ${policy}\n${shown.join('\n')}${more}`,
    { fileName, invalidRows: count, samples: rejects.slice(0, SAMPLE_LIMIT) },
  );
}

interface StageArgs {
  open: () => OpenedFile;
  fileName: string;
  kind: CsvKind;
  settings: ReturnType<typeof readDatasetSettings>;
  hash: crypto.Hash;
  reject: (r: RejectedRow) => void;
  onProgress: LoadProgress;
  position: { line: number };
}

/** Parses the file, validates each row, and COPYs the good ones into `stage`. Returns rows read. */
async function streamIntoStage(client: pg.PoolClient, a: StageArgs): Promise<number> {
  const { fileName, kind, settings, hash, reject, onProgress } = a;
  const spec = FILE_SPECS[kind];
  const parsers = rowParsers(kind, settings);
  const mapping = settings.columns[kind] ?? {};
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, max_record_size: MAX_LINE_BYTES });
  const utf8 = new Utf8Checker();
  const utf8Failure = (problem: ReturnType<Utf8Checker['push']>) =>
    problem && inputFailure(ErrorType.InvalidInputFile, describeUtf8Problem(fileName, problem), { fileName, line: problem.line });
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      hash.update(chunk);
      callback(utf8Failure(utf8.push(chunk)) || null, chunk);
    },
    flush(callback) {
      callback(utf8Failure(utf8.end()) || null);
    },
  });
  const copy = client.query(copyFrom(`COPY stage (line, ${spec.columns.join(', ')}) FROM STDIN`));
  let serverError: Error | undefined;
  let aborted = false; // after our own abort, the server's answer ("COPY from stdin failed") is not news
  copy.on('error', (error: Error) => {
    if (!aborted) serverError ??= error;
  });
  const copied = new Promise<void>((resolve, reject) => {
    copy.once('finish', resolve);
    copy.once('error', reject);
  });
  copied.catch(() => undefined);
  // Settles with the read/parse error instead of rejecting, so that an error raised by our own
  // loop (a bad header) is the one reported, not the abort it causes upstream.
  const reading = pipeline(fs.createReadStream('', { fd: a.open().fd, autoClose: true }), hashing, parser).then(
    () => undefined,
    (error: { lines?: number; message: string }) => error,
  );

  let header: Header | undefined;
  let rows = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const text = batch.join('');
    batch = [];
    if (serverError) throw serverError;
    if (!copy.write(text)) await new Promise((resolve) => copy.once('drain', resolve));
  };

  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        header = checkHeader(fileName, record, spec.columns, spec.optionalColumns, mapping);
        continue;
      }
      rows += 1;
      const line = info.lines;
      a.position.line = line;
      if (record.length !== header.width) {
        reject({ line, column: undefined, value: undefined, reason: `has ${record.length} cells; the header has ${header.width}` });
        continue;
      }
      const cells = header.positions.map((index) => (index < 0 ? '' : (record[index] ?? '')));
      const result = validateRow(parsers, cells);
      if (!result.ok) {
        for (const problem of mergeProblems(result.problems)) reject({ line, ...problem });
        continue;
      }
      batch.push(`${line}\t${result.values.map(copyTextField).join('\t')}\n`);
      if (batch.length >= COPY_BATCH_ROWS) {
        await flush();
        onProgress(rows);
      }
    }
    const readError = await reading;
    if (readError) throw readFailure(fileName, readError);
    if (!header) throw inputFailure(ErrorType.InvalidInputFile, `${fileName}: the file is empty; expected a header row (${spec.columns.join(',')}).`);
    await flush();
    copy.end();
    await copied;
  } catch (error) {
    // Abort the COPY (the server gets CopyFail) so that the transaction can be rolled back.
    aborted = true;
    if (!serverError) copy.destroy(error as Error);
    await copied.catch(() => undefined);
    const readError = await reading;
    // Our own refusal (a bad header) wins over the abort it caused upstream.
    throw serverError ?? (error instanceof ApplicationFailure ? error : readFailure(fileName, readError ?? error));
  }
  onProgress(rows);
  return rows;
}

/** A failure of reading or parsing the file, worded: CSV syntax errors name their line. */
function readFailure(fileName: string, error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error; // not UTF-8: the hashing step said where
  if (!(error instanceof CsvError)) return error;
  const e = error as CsvError & { lines?: number };
  if (e.code === 'CSV_MAX_RECORD_SIZE') return lineTooLong(fileName, e.lines ?? 0);
  return inputFailure(
    ErrorType.InvalidInputFile,
    `${fileName} line ${e.lines ?? '?'}: not readable as CSV: ${cutText((e.message ?? '').split('\n')[0]!, 200)}. ` +
      'Correct the quoting of that line (a quote opens and closes a whole cell; a quote inside one is written twice); nothing of the file was loaded.',
    { fileName, line: e.lines ?? null },
  );
}

