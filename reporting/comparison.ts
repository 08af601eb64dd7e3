// comparison.csv: the books side by side, one row per channel and currency, a revenue and a share
// column per book (docs/reports.md). Pure. A channel that a book did not credit has 0.0000 and
// 0.00 under that book. Rows are ordered by currency, then by the chosen book's revenue (largest
// first), then by channel, so the file reads like the chosen book's CSV with the others beside it.
import { formatUnits } from '../domain/money';
import { currencyTotals, sharePct, type ChannelRevenue } from './attributionCsv';
import { csvText, numberCell, textCell } from './csvCell';

export interface ComparisonRow {
  channel: string;
  currency: string;
  /** book → revenue units and share of that book's currency total (percent, 2 decimals). */
  byBook: Map<string, { revenueUnits: bigint; sharePct: string }>;
}

export const COMPARISON_FILE_NAME = 'comparison.csv';

export function comparisonRows(books: ReadonlyArray<string>, revenue: ReadonlyMap<string, ReadonlyArray<ChannelRevenue>>, chosen: string): ComparisonRow[] {
  const rows = new Map<string, ComparisonRow>();
  for (const book of books) {
    const own = revenue.get(book) ?? [];
    const totals = currencyTotals(own);
    for (const r of own) {
      const key = `${r.currency}\u0000${r.channel}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { channel: r.channel, currency: r.currency, byBook: new Map() }));
      row.byBook.set(book, { revenueUnits: r.revenueUnits, sharePct: sharePct(r.revenueUnits, totals.get(r.currency)!) });
    }
  }
  const of = (row: ComparisonRow, book: string) => row.byBook.get(book)?.revenueUnits ?? 0n;
  return [...rows.values()].sort((a, b) =>
    a.currency < b.currency ? -1 : a.currency > b.currency ? 1
      : of(a, chosen) > of(b, chosen) ? -1 : of(a, chosen) < of(b, chosen) ? 1
        : a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0);
}

export function comparisonHeader(books: ReadonlyArray<string>): string[] {
  return ['channel', 'currency', ...books.flatMap((b) => [`${b}_revenue`, `${b}_share_pct`])];
}

export function renderComparisonCsv(books: ReadonlyArray<string>, rows: ReadonlyArray<ComparisonRow>): string {
  return csvText(comparisonHeader(books), rows.map((r) => [
    textCell(r.channel), textCell(r.currency),
    ...books.flatMap((b) => {
      const cell = r.byBook.get(b);
      return [numberCell(formatUnits(cell?.revenueUnits ?? 0n)), numberCell(cell?.sharePct ?? '0.00')];
    }),
  ]));
}

/** revenue_by_month.csv: one row per month, book, channel and currency of a range. */
export interface MonthRevenue {
  month: string;
  book: string;
  channel: string;
  currency: string;
  revenueUnits: bigint;
  accounts: number;
}

export const REVENUE_BY_MONTH_FILE_NAME = 'revenue_by_month.csv';

export function renderRevenueByMonthCsv(rows: ReadonlyArray<MonthRevenue>): string {
  const sorted = [...rows].sort((a, b) => cmp(a.month, b.month) || cmp(a.book, b.book) || cmp(a.currency, b.currency) || cmp(a.channel, b.channel));
  return csvText(['month', 'book', 'channel', 'currency', 'revenue', 'accounts'], sorted.map((r) => [
    textCell(r.month), textCell(r.book), textCell(r.channel), textCell(r.currency), numberCell(formatUnits(r.revenueUnits)), numberCell(r.accounts),
  ]));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
