// Periods [from, to) as ISO strings, and their labels. Workflow-safe: no imports.

/** `2024-01` for a UTC calendar month, `2024-01..2024-07` for whole months, `all..<to>` for lifetime, else the instants. */
export function periodLabel(from: string | null, to: string): string {
  const month = (iso: string) => (/^\d{4}-\d{2}-01T00:00:00(\.000)?Z$/.test(iso) ? iso.slice(0, 7) : undefined);
  const f = from === null ? 'all' : (month(from) ?? from);
  const t = month(to) ?? to;
  if (from !== null && month(from) && month(to) && nextMonth(month(from)!) === month(to)) return month(from)!;
  return `${f}..${t}`;
}

/** `2024-12` → `2025-01`. */
export function nextMonth(yyyyMm: string): string {
  const [y, m] = yyyyMm.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
}

/** `2024-01` → `2024-01-01T00:00:00.000Z`. */
export function monthStart(yyyyMm: string): string {
  return `${yyyyMm}-01T00:00:00.000Z`;
}

/** Every month from `from` to `to`, both included (`YYYY-MM`). */
export function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  for (let m = from; m <= to; m = nextMonth(m)) months.push(m);
  return months;
}

/** The UTC month before the one an instant falls in: what the monthly schedule runs. */
export function previousMonthOf(iso: string): string {
  const [y, m] = iso.slice(0, 7).split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/**
 * The basis of a run's decisions (docs/operations.md): `monthly` for exactly one UTC month whose
 * cutoff is that month's end, the book of record; `as_of:<cutoff>` for any other span, a snapshot
 * with one cutoff for every transaction. Decisions of different bases never mix.
 */
export function basisOf(from: string | null, to: string, asOf: string): string {
  const label = periodLabel(from, to);
  const isOneMonth = /^\d{4}-\d{2}$/.test(label);
  if (isOneMonth && new Date(asOf).getTime() === new Date(to).getTime()) return MONTHLY_BASIS;
  return `as_of:${new Date(asOf).toISOString()}`;
}

export const MONTHLY_BASIS = 'monthly';
