// The fast path of loading a CSV file: a plain line splitter instead of csv-parse, the same row
// validation, and COPY straight into the target table (no staging table, no merge). It applies
// only where it gives exactly what the staging path gives, and says "fall back" otherwise:
//   - the file has a quote character or a stray CR (a real CSV parser is needed for those);
//   - an id is already stored or repeats within the file (a unique violation: the staging path
//     tells harmless repeats from contradictions and names both places).
// Measured at 100k accounts: csv-parse alone reads ~150k rows/s; the staging merge into a table
// with a primary key costs as much again. When the target table is empty and the file is large,
// its indexes are dropped and rebuilt after the COPY (a sorted build instead of 10M+ random
// b-tree inserts); the rebuilt primary key is also the duplicate check. All of it happens inside
// the caller's transaction, under a savepoint that the caller rolls back before falling back.
// The statements are in store/inputs/csvDirect.ts.
import type crypto from 'node:crypto';
import fs from 'node:fs';
import type pg from 'pg';
import type { OpenedFile } from '../../common/containedFile';
import { whileHeartbeating } from '../heartbeat';
import { ErrorType, inputFailure } from '../../common/errors';
import type { DatasetSettings } from '../../ingest/datasetSettings';
import { FILE_SPECS, rowParsers, validateRow, type CsvKind } from '../../ingest/fileSpecs';
import { describeUtf8Problem, Utf8Checker } from '../../ingest/utf8';
import { checkHeader, lineTooLong, MAX_LINE_BYTES, mergeProblems, type Header } from './csvRows';
import { copyIntoTarget, dropTargetIndexes, rebuildIndexes, targetIsEmpty } from '../../store/inputs/csvDirect';
import { DIRECT_FORMATTERS } from '../../store/inputs/csvTables';

export interface DirectLoadArgs {
  /** Opens the file (inside the dataset directory only). */
  open: () => OpenedFile;
  fileName: string;
  kind: CsvKind;
  settings: DatasetSettings;
  fileId: string;
  hash: crypto.Hash;
  reject: (r: { line: number; column: string | undefined; value: string | undefined; reason: string }) => void;
  onProgress: (rowsRead: number) => void;
  /** Where the reader is, for a failure that did not say its line. */
  position: { line: number };
}

export type DirectLoadOutcome =
  | { loaded: true; rowsRead: number; rowsLoaded: number }
  | { loaded: false; reason: string };

/** Files at least this large are loaded into an empty table without its indexes (rebuilt after). */
const BULK_BYTES = 32 * 1024 * 1024;
const READ_CHUNK = 64 * 1024; // small enough that a chunk's strings die young (GC was a third of the time at 1 MiB)

class FallBack extends Error {}

export async function tryDirectLoad(client: pg.PoolClient, a: DirectLoadArgs): Promise<DirectLoadOutcome> {
  const opened = a.open();
  let counts: { rowsRead: number; rowsLoaded: number };
  try {
    const bulk = opened.sizeBytes >= BULK_BYTES && (await targetIsEmpty(client, a.kind));
    const dropped = bulk ? await dropTargetIndexes(client, a.kind) : undefined;
    counts = await copyFile(client, a, opened);
    if (dropped) {
      // A sorted build of 10M+ keys takes a while: keep the activity's heartbeat going.
      const rowsRead = counts.rowsRead;
      await whileHeartbeating(() => rebuildIndexes(client, dropped), () => a.onProgress(rowsRead));
    }
  } catch (error) {
    if (error instanceof FallBack) return { loaded: false, reason: error.message };
    // 23505: an id already stored or repeated in the file; the staging path reports it precisely.
    if ((error as { code?: string }).code === '23505') return { loaded: false, reason: 'an id is already stored or repeated' };
    throw error;
  }
  return { loaded: true, ...counts };
}

/** Splits, validates and COPYs the file into the target table. Throws FallBack where it cannot be exact. */
async function copyFile(client: pg.PoolClient, a: DirectLoadArgs, opened: OpenedFile): Promise<{ rowsRead: number; rowsLoaded: number }> {
  const rows = directRows(a);
  await copyIntoTarget(client, a.kind, async (send) => {
    await readLines(a, opened, async (lines) => {
      const out: string[] = [];
      for (const line of lines) rows.handle(line, out);
      if (out.length > 0) await send(out.join(''));
      a.onProgress(rows.read());
    });
    if (!rows.sawHeader()) throw inputFailure(ErrorType.InvalidInputFile, `${a.fileName}: the file is empty; expected a header row (${FILE_SPECS[a.kind].columns.join(',')}).`);
  });
  a.onProgress(rows.read());
  return { rowsRead: rows.read(), rowsLoaded: rows.written() };
}

/**
 * Reads the file in chunks and hands over its complete lines (without their newline), checking
 * that it is UTF-8, has no quote character and no line over MAX_LINE_BYTES. Strips a BOM.
 */
async function readLines(a: DirectLoadArgs, opened: OpenedFile, onLines: (lines: string[]) => Promise<void>): Promise<void> {
  const utf8 = new Utf8Checker();
  const checkUtf8 = (problem: ReturnType<Utf8Checker['push']>) => {
    if (problem) throw inputFailure(ErrorType.InvalidInputFile, describeUtf8Problem(a.fileName, problem), { fileName: a.fileName, line: problem.line });
  };
  let rest: Buffer = Buffer.alloc(0);
  let first = true;
  for await (const chunk of fs.createReadStream('', { fd: opened.fd, autoClose: true, highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
    a.hash.update(chunk);
    checkUtf8(utf8.push(chunk));
    if (chunk.includes(0x22)) throw new FallBack('quoted fields');
    let buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    if (first) {
      first = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3); // csv-parse's bom: true
    }
    const end = buf.lastIndexOf(0x0a);
    if (end < 0) {
      if (buf.length > MAX_LINE_BYTES) throw lineTooLong(a.fileName, a.position.line + 1);
      rest = buf;
      continue;
    }
    rest = Buffer.from(buf.subarray(end + 1));
    await onLines(buf.toString('utf8', 0, end).split('\n'));
  }
  checkUtf8(utf8.end());
  if (rest.length > 0) await onLines([rest.toString('utf8')]);
}

/** The direct path's rows: the header check, validation, and each good row as COPY text for the target table. */
function directRows(a: DirectLoadArgs) {
  const spec = FILE_SPECS[a.kind];
  const parsers = rowParsers(a.kind, a.settings);
  const formatters = DIRECT_FORMATTERS[a.kind];
  const mapping = a.settings.columns[a.kind] ?? {};
  const suffix = `\t${a.fileId}\t`;
  let header: Header | undefined;
  let rows = 0;
  let written = 0;
  let lineNo = 0;
  let crlf: boolean | undefined;
  const handle = (raw: string, out: string[]) => {
    lineNo += 1;
    a.position.line = lineNo;
    let line = raw;
    if (crlf === undefined) crlf = line.endsWith('\r');
    if (crlf) {
      if (!line.endsWith('\r')) throw new FallBack('mixed line endings');
      line = line.slice(0, -1);
    }
    if (line.includes('\r')) throw new FallBack('a carriage return inside a line');
    if (line === '') return; // csv-parse's skip_empty_lines
    const record = line.split(',');
    if (!header) {
      header = checkHeader(a.fileName, record, spec.columns, spec.optionalColumns, mapping);
      return;
    }
    rows += 1;
    if (record.length !== header.width) {
      a.reject({ line: lineNo, column: undefined, value: undefined, reason: `has ${record.length} cells; the header has ${header.width}` });
      return;
    }
    const result = validateRow(parsers, header.positions.map((index) => (index < 0 ? '' : (record[index] ?? ''))));
    if (!result.ok) {
      for (const problem of mergeProblems(result.problems)) a.reject({ line: lineNo, ...problem });
      return;
    }
    let text = '';
    for (let i = 0; i < result.values.length; i++) text += (i === 0 ? '' : '\t') + formatters[i]!(result.values[i]!);
    out.push(`${text}${suffix}${lineNo}\n`);
    written += 1;
  };
  return { handle, read: () => rows, written: () => written, sawHeader: () => header !== undefined };
}
