// Plain-text tables for the CLI and the summary: the first two columns are labels (left-aligned),
// the rest are numbers (right-aligned), two spaces apart.
import type { ReconciliationLine } from './summary';

export function formatTable(header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, indent = ''): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: ReadonlyArray<string>) => indent + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** billing = attributed + excluded, one line per book and currency. */
export function reconciliationTable(rows: ReadonlyArray<ReconciliationLine>, indent = ''): string {
  return formatTable(
    ['book', 'currency', 'billing', 'attributed', 'excluded', 'variance'],
    rows.map((r) => [r.book, r.currency, r.billingTotal, r.attributedTotal, r.excludedTotal, r.variance]),
    indent,
  );
}
