// The per-book attribution CSV of docs/reports.md: channel, currency, revenue, share_pct, accounts,
// transactions. Pure. Revenue has exactly 4 decimals; share_pct is the channel's share of its
// currency's attributed total, in percent with 2 decimals (rounded half up); rows are ordered by
// currency, then revenue (largest first), then channel name.
import { Decimal } from 'decimal.js';
import { formatUnits } from '../domain/money';
import { numberCell, textCell } from './csvCell';

export interface ChannelRevenue {
  channel: string;
  currency: string;
  revenueUnits: bigint;
  /** Accounts whose lines for this channel sum to non-zero. */
  accounts: number;
  /** Transactions with a line on this channel. */
  transactions: number;
}

export const ATTRIBUTION_CSV_HEADER = 'channel,currency,revenue,share_pct,accounts,transactions';

export function sortChannelRevenue(rows: ReadonlyArray<ChannelRevenue>): ChannelRevenue[] {
  return [...rows].sort((a, b) =>
    a.currency < b.currency ? -1 : a.currency > b.currency ? 1
      : a.revenueUnits > b.revenueUnits ? -1 : a.revenueUnits < b.revenueUnits ? 1
        : a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0);
}

export function currencyTotals(rows: ReadonlyArray<ChannelRevenue>): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const r of rows) totals.set(r.currency, (totals.get(r.currency) ?? 0n) + r.revenueUnits);
  return totals;
}

export function sharePct(units: bigint, total: bigint): string {
  if (total === 0n) return '0.00';
  return new Decimal(units.toString()).mul(100).div(total.toString()).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
}

export function renderAttributionCsv(rows: ReadonlyArray<ChannelRevenue>): string {
  const totals = currencyTotals(rows);
  const lines = sortChannelRevenue(rows).map((r) =>
    [textCell(r.channel), textCell(r.currency), numberCell(formatUnits(r.revenueUnits)), numberCell(sharePct(r.revenueUnits, totals.get(r.currency)!)), numberCell(r.accounts), numberCell(r.transactions)].join(','));
  return [ATTRIBUTION_CSV_HEADER, ...lines].join('\n') + '\n';
}

/** The file of docs/reports.md for a book: the KrispCall names for its two books, `<book>_attribution.csv` otherwise. */
export function attributionFileName(book: string): string {
  if (book === 'first_touch') return 'first_touch_attribution.csv';
  if (book === 'usage_share') return 'usage_based_attribution.csv';
  return `${book}_attribution.csv`;
}

export const CHOSEN_FILE_NAME = 'chosen_attribution.csv';
