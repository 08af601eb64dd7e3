// One CSV cell, written the same way in every CSV the engine produces (docs/reports.md, "CSV
// cells"). Text is quoted when it holds a comma, a quote or a line break, and a text cell that a
// spreadsheet would evaluate as a formula (it starts with =, +, -, @, a tab or a carriage return)
// gets a single quote in front, so that `=HYPERLINK(...)` in a channel or account name is shown,
// never run. Numbers are written by `numberCell` and are never prefixed: `-12.5000` stays a number.

const FORMULA_START = /^[=+\-@\t\r]/;

/** A text cell (a channel, an account, a book name): neutralised, then quoted when needed. */
export function textCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A number cell, as the caller formatted it (a decimal string or an integer). */
export function numberCell(value: string | number | bigint): string {
  const text = String(value);
  if (text !== '' && !/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`not a number cell: ${JSON.stringify(text)}`);
  return text;
}

/** A whole CSV: the header, then one line per row, each ending in \n. */
export function csvText(header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}
