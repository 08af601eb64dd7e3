// What the two CSV load paths (directLoad.ts and the staging path in loadCsvFile.ts) share: the
// header check and how a row's problems become one reject, so that both report bad input alike.
import { ErrorType, inputFailure } from '../../common/errors';
import { cutText } from '../../ingest/cutValue';
import type { RowProblem } from '../../ingest/fileSpecs';

/** No line of a CSV file may be longer than this (docs/decisions.md, "Input"): a bound on memory. */
export const MAX_LINE_BYTES = 1024 * 1024;

export function lineTooLong(fileName: string, line: number) {
  return inputFailure(
    ErrorType.InvalidInputFile,
    `${fileName} line ${line}: the line is longer than ${MAX_LINE_BYTES} bytes; no row of a dataset or event is that long (is it the right file?). Nothing of it was loaded.`,
    { fileName, line },
  );
}

/** The header as shown in a message: each name cut, at most 20 of them. */
function shownHeader(headerRow: string[]): string {
  const names = headerRow.slice(0, 20).map((h) => JSON.stringify(cutText(h, 40)));
  return names.join(', ') + (headerRow.length > 20 ? `, ... (${headerRow.length} columns)` : '');
}

/** One reject per row: several problems of one row are reported together. */
export function mergeProblems(problems: RowProblem[]): RowProblem[] {
  if (problems.length <= 1) return problems;
  return [{
    column: problems.map((p) => p.column).filter(Boolean).join(', '),
    value: undefined,
    reason: problems.map((p) => `${p.column ?? 'row'} ${p.value !== undefined ? JSON.stringify(p.value) + ' ' : ''}${p.reason}`).join('; '),
  }];
}

export interface Header {
  /** per canonical column, in order: its index in the file's rows (-1: absent optional column) */
  positions: number[];
  width: number;
}

/** Maps canonical columns to their index in the header; a missing or repeated column refuses the file. */
export function checkHeader(
  fileName: string, headerRow: string[], columns: readonly string[], optional: readonly string[], mapping: Partial<Record<string, string>>,
): Header {
  const names = headerRow.map((h) => h.trim().toLowerCase());
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length > 0) {
    throw inputFailure(ErrorType.InvalidInputFile, `${fileName} line 1: the header repeats column(s) ${shownHeader([...new Set(repeated)])}; give each column once.`);
  }
  const index = new Map<string, number>();
  const missing: string[] = [];
  for (const column of columns) {
    const name = (mapping[column] ?? column).trim().toLowerCase();
    const at = names.indexOf(name);
    if (at >= 0) index.set(column, at);
    else if (!optional.includes(column)) missing.push(mapping[column] ? `${column} (mapped to "${mapping[column]}")` : column);
  }
  if (missing.length > 0) {
    throw inputFailure(
      ErrorType.InvalidInputFile,
      `${fileName} line 1: missing column(s) ${missing.join(', ')}. The header has: ${shownHeader(headerRow)}. ` +
        `Expected: ${columns.join(', ')}; rename the columns or map them in dataset.yaml (columns.<file>.<column>: <name in the file>).`,
    );
  }
  return { positions: columns.map((c) => index.get(c) ?? -1), width: headerRow.length };
}
