// Loads one CSV file of a dataset into its canonical table, all or nothing, in one transaction.
// First the direct load (directLoad.ts: split → validate → COPY straight into the table), which
// covers plain files whose ids are new; where it cannot be exact it steps back (savepoint) and the
// staging path runs: parse (csv-parse) → validate each row → COPY into a staging table → INSERT
// into the target with ON CONFLICT DO NOTHING, telling repeats from contradictions. Both end by
// recording the file version. A retry after a crash either finds the committed file version (and
// returns its counts) or starts from scratch. The statements on the tables are in store/inputs/.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { ApplicationFailure } from '@temporalio/common';
import type pg from 'pg';
import type { OpenedFile } from '../../common/containedFile';
import { asInputFailure, ErrorType, inputFailure } from '../../common/errors';
import { cutText } from '../../ingest/cutValue';
import type { DatasetSettings } from '../../ingest/datasetSettings';
import { FILE_SPECS, rowParsers, validateRow, type CsvKind } from '../../ingest/fileSpecs';
import { createStage, mergeStage, openStageCopy, stageCollisions, stageRow, TARGET_TABLES } from '../../store/inputs/csvTables';
import { REFUND_BALANCE_LOCK } from '../../store/inputs/refundBalance';
import { underSavepoint } from '../../store/sql';
import { checkHeader, lineTooLong, MAX_LINE_BYTES, mergeProblems, type Header } from './csvRows';
import { tryDirectLoad } from './directLoad';
import { strictBytes } from './strictBytes';
import { refundExcesses } from './refundBalance';
import { whileHeartbeating } from '../heartbeat';
import { fileNameFor, loadKeyOf, openDatasetFile, readDatasetSettings, datasetName } from './datasetDir';
import { assertListedContent, loadFileVersion, type FileVersion, type LoadedBody, type RejectedRow } from './fileVersion';

export interface LoadCsvFileInput {
  dir: string;
  kind: CsvKind;
  /** Usage/integration rows that may be quarantined before the file fails (null: dataset.yaml's
   *  max_rejects, else 0). Billing files ignore it: they are always strict. */
  maxRejects: number | null;
  /** The load key seen when the dataset was listed; the file must not change in between. */
  expectedLoadKey: string;
}

export type { RejectedRow };

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

/** What one load of a CSV file works with. */
interface CsvLoad {
  input: LoadCsvFileInput;
  settings: DatasetSettings;
  fileName: string;
  open: () => OpenedFile;
  /** where the reader is, for a failure that did not say its line */
  position: { line: number };
  strict: boolean;
  maxRejects: number;
  onProgress: LoadProgress;
}

export async function loadCsvFile(pool: pg.Pool, input: LoadCsvFileInput, onProgress: LoadProgress = () => undefined): Promise<LoadCsvFileResult> {
  const settings = readDatasetSettings(input.dir);
  const fileName = fileNameFor(input.kind, settings);
  const strict = FILE_SPECS[input.kind].billing;
  const load: CsvLoad = {
    input, settings, fileName, strict, onProgress,
    maxRejects: strict ? 0 : (input.maxRejects ?? settings.maxRejects ?? 0),
    position: { line: 0 },
    open: () => {
      const opened = openDatasetFile(input.dir, fileName);
      if (!opened) throw inputFailure(ErrorType.InvalidDataset, `${fileName} was listed but is gone; run the ingest again.`);
      return opened;
    },
  };
  const key = {
    dataset: datasetName(input.dir, settings), kind: input.kind, fileName, expectedLoadKey: input.expectedLoadKey,
    lockKey: `ingest:${datasetName(input.dir, settings)}:${input.kind}`,
    laterLocks: input.kind === 'payments' || input.kind === 'refunds' ? [REFUND_BALANCE_LOCK] : [],
  };
  const result = await loadFileVersion(pool, key, (client, file) => loadRows(client, file, load), (error) => asInputFailure(error, fileName, load.position.line || undefined));
  const { rejects, ...counts } = result;
  return { kind: input.kind, fileName, ...counts, rejectSamples: rejects.slice(0, SAMPLE_LIMIT) };
}

/** Reads, validates and writes the file's rows into its table; refuses it when it has too many bad rows. */
async function loadRows(client: pg.PoolClient, file: FileVersion, load: CsvLoad): Promise<LoadedBody> {
  const { input, fileName, strict, maxRejects } = load;
  let rejects: RejectedRow[] = [];
  let rejectedCount = 0;
  const reject = (row: RejectedRow) => {
    rejectedCount += 1;
    if (rejects.length < Math.max(SAMPLE_LIMIT, maxRejects + 1)) rejects.push({ ...row, value: row.value === undefined ? undefined : cutText(row.value) });
  };
  const checkRejects = () => failIfTooMany(fileName, strict, maxRejects, rejectedCount, rejects);

  let hash = crypto.createHash('sha256');
  const args = { open: load.open, fileName, kind: input.kind, settings: load.settings, hash, reject, onProgress: load.onProgress, position: load.position };
  const direct = await underSavepoint(client, 'direct_load', () => tryDirectLoad(client, { ...args, fileId: file.fileId }), (outcome) => outcome.loaded);
  let rowsRead: number;
  let rowsLoaded: number | undefined;
  if (direct.loaded) {
    ({ rowsRead, rowsLoaded } = direct);
  } else {
    // The staging path starts from scratch: what the direct load counted was rolled back with it.
    rejects = [];
    rejectedCount = 0;
    hash = crypto.createHash('sha256');
    await createStage(client, input.kind);
    rowsRead = await streamIntoStage(client, { ...args, hash });
  }
  const contentSha256 = hash.digest('hex');
  const loadKey = loadKeyOf(contentSha256, load.settings, input.kind);
  assertListedContent(fileName, loadKey, input.expectedLoadKey);
  checkRejects();

  let rowsDuplicate = 0;
  if (rowsLoaded === undefined) {
    const merged = await mergeStaged(client, file.fileId, input.kind, rowsRead - rejectedCount, () => load.onProgress(rowsRead), reject);
    ({ rowsLoaded, rowsDuplicate } = merged);
    checkRejects();
  }
  if (input.kind === 'payments' || input.kind === 'refunds') {
    for (const excess of await refundExcesses(client, file.fileId, 'amount')) reject(excess);
    checkRejects();
  }
  return { contentSha256, loadKey, rowsRead, rowsLoaded, rowsDuplicate, rowsRejected: rejectedCount, rejects, analyze: TARGET_TABLES[input.kind].table };
}

/**
 * INSERTs the staged rows into the target table. Rows whose id was already stored are harmless
 * repeats (counted) or contradictions (rejected, naming both places). The merge and the collision
 * check of a large file take minutes of SQL: the heartbeat keeps going through them.
 */
async function mergeStaged(
  client: pg.PoolClient, fileId: string, kind: CsvKind, staged: number, beat: () => void, reject: (row: RejectedRow) => void,
): Promise<{ rowsLoaded: number; rowsDuplicate: number }> {
  const idColumn = FILE_SPECS[kind].idColumn;
  const rowsLoaded = await whileHeartbeating(() => mergeStage(client, kind, fileId), beat);
  let rowsDuplicate = 0;
  if (rowsLoaded < staged) {
    const collisions = await whileHeartbeating(() => stageCollisions(client, kind, fileId), beat);
    for (const c of collisions) {
      if (c.same) rowsDuplicate += 1;
      else {
        const where = c.same_file ? `line ${c.stored_line} of this file` : `${c.stored_file} version ${c.stored_version}, line ${c.stored_line}`;
        reject({ line: c.line, column: idColumn, value: c.id, reason: `${idColumn} ${c.id} was already loaded with different content (${where})` });
      }
    }
  }
  return { rowsLoaded, rowsDuplicate };
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
  settings: DatasetSettings;
  hash: crypto.Hash;
  reject: (r: RejectedRow) => void;
  onProgress: LoadProgress;
  position: { line: number };
}

/** Parses the file, validates each row, and COPYs the good ones into `stage`. Returns rows read. */
async function streamIntoStage(client: pg.PoolClient, a: StageArgs): Promise<number> {
  const { fileName } = a;
  const parser = parse({ bom: true, relax_column_count: true, skip_empty_lines: true, info: true, max_record_size: MAX_LINE_BYTES });
  const opened = a.open(); // before the COPY starts: a refusal here must not leave a COPY open
  const copy = openStageCopy(client, a.kind);
  // Settles with the read/parse error instead of rejecting, so that an error raised by our own
  // loop (a bad header) is the one reported, not the abort it causes upstream.
  const reading = pipeline(fs.createReadStream('', { fd: opened.fd, autoClose: true }), strictBytes(fileName, a.hash), parser).then(
    () => undefined,
    (error: unknown) => error,
  );
  const rows = stagedRows(a);
  try {
    let batch: string[] = [];
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      rows.handle(record, info.lines, batch);
      if (batch.length >= COPY_BATCH_ROWS) {
        await copy.send(batch.join(''));
        batch = [];
        a.onProgress(rows.read());
      }
    }
    const readError = await reading;
    if (readError) throw readFailure(fileName, readError);
    if (!rows.sawHeader()) throw inputFailure(ErrorType.InvalidInputFile, `${fileName}: the file is empty; expected a header row (${FILE_SPECS[a.kind].columns.join(',')}).`);
    if (batch.length > 0) await copy.send(batch.join(''));
    await copy.finish();
  } catch (error) {
    const failure = await copy.abort(error);
    const readError = await reading;
    // Our own refusal (a bad header) wins over the abort it caused upstream.
    throw copy.serverError ?? (error instanceof ApplicationFailure ? error : readFailure(fileName, readError ?? failure));
  }
  a.onProgress(rows.read());
  return rows.read();
}

/** The staging path's rows: the header check, validation, and each good row as COPY text for `stage`. */
function stagedRows(a: StageArgs) {
  const spec = FILE_SPECS[a.kind];
  const parsers = rowParsers(a.kind, a.settings);
  const mapping = a.settings.columns[a.kind] ?? {};
  let header: Header | undefined;
  let rows = 0;
  const handle = (record: string[], line: number, batch: string[]) => {
    if (!header) {
      header = checkHeader(a.fileName, record, spec.columns, spec.optionalColumns, mapping);
      return;
    }
    rows += 1;
    a.position.line = line;
    if (record.length !== header.width) {
      a.reject({ line, column: undefined, value: undefined, reason: `has ${record.length} cells; the header has ${header.width}` });
      return;
    }
    const result = validateRow(parsers, header.positions.map((index) => (index < 0 ? '' : (record[index] ?? ''))));
    if (!result.ok) {
      for (const problem of mergeProblems(result.problems)) a.reject({ line, ...problem });
      return;
    }
    batch.push(stageRow(line, result.values));
  };
  return { handle, read: () => rows, sawHeader: () => header !== undefined };
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

