// A sensitivity sweep's outputs (docs/reports.md, "Sensitivity"): each channel's share of its
// currency's revenue per value of the swept parameter, per book, and its swing (the largest minus
// the smallest share, in percentage points). Pure.
import { Decimal } from 'decimal.js';
import type { TopLevelSpec } from 'vega-lite';
import { formatUnits } from '../domain/money';
import { currencyTotals, sharePct, type ChannelRevenue } from './attributionCsv';
import { CHART_WIDTH, baseSpec, plotNumber, type Chart } from './charts/chart';
import { csvText, numberCell, textCell } from './csvCell';
import type { Block } from './html/document';

export const SENSITIVITY_FILE_NAME = 'sensitivity.csv';
export const SENSITIVITY_HEADER = ['param', 'value', 'book', 'channel', 'currency', 'revenue', 'share_pct', 'swing_pct'];

export interface SensitivityRow {
  param: string;
  value: string;
  book: string;
  channel: string;
  currency: string;
  revenue: string;
  sharePct: string;
  swingPct: string;
}

/**
 * One row per value, book, currency and channel (a channel a value gave nothing has 0.0000 and
 * 0.00), ordered by book, currency, swing (largest first), channel, then the values as given.
 */
export function sensitivityRows(param: string, values: ReadonlyArray<string>, books: ReadonlyArray<string>, perValue: ReadonlyArray<ReadonlyMap<string, ReadonlyArray<ChannelRevenue>>>): SensitivityRow[] {
  const rows: SensitivityRow[] = [];
  for (const book of books) {
    const keys = new Set(perValue.flatMap((m) => (m.get(book) ?? []).map((r) => `${r.currency}\u0000${r.channel}`)));
    const group: SensitivityRow[][] = [];
    for (const key of keys) {
      const [currency, channel] = key.split('\u0000') as [string, string];
      const cells = values.map((value, i) => {
        const all = perValue[i]!.get(book) ?? [];
        const units = all.find((r) => r.currency === currency && r.channel === channel)?.revenueUnits ?? 0n;
        return { value, revenue: formatUnits(units), share: sharePct(units, currencyTotals(all).get(currency) ?? 0n) };
      });
      const shares = cells.map((c) => new Decimal(c.share));
      const swing = Decimal.max(...shares).minus(Decimal.min(...shares)).toFixed(2);
      group.push(cells.map((c) => ({ param, value: c.value, book, channel, currency, revenue: c.revenue, sharePct: c.share, swingPct: swing })));
    }
    group.sort((a, b) => cmp(a[0]!.currency, b[0]!.currency) || new Decimal(b[0]!.swingPct).cmp(a[0]!.swingPct) || cmp(a[0]!.channel, b[0]!.channel));
    rows.push(...group.flat());
  }
  return rows;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const cells = (r: SensitivityRow) => [r.param, r.value, r.book, r.channel, r.currency, r.revenue, r.sharePct, r.swingPct];

export function renderSensitivityCsv(rows: ReadonlyArray<SensitivityRow>): string {
  return csvText(SENSITIVITY_HEADER, rows.map((r) => [
    textCell(r.param), numberCell(r.value), textCell(r.book), textCell(r.channel), textCell(r.currency), numberCell(r.revenue), numberCell(r.sharePct), numberCell(r.swingPct),
  ]));
}

/** The channel with the largest swing, per book and currency: "usage_share USD: web swings 4.10 points (…)". */
export function largestSwings(rows: ReadonlyArray<SensitivityRow>): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of rows) {
    const key = `${r.book}\u0000${r.currency}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const own = rows.filter((x) => x.book === r.book && x.currency === r.currency && x.channel === r.channel);
    out.push(`${r.book}, ${r.currency}: ${r.channel} swings most, ${r.swingPct} percentage points (${own.map((x) => `${x.sharePct} % at ${x.value}`).join(', ')}).`);
  }
  return out;
}

export function sensitivityChart(rows: ReadonlyArray<SensitivityRow>, book: string, currency: string): Chart {
  const own = rows.filter((r) => r.book === book && r.currency === currency);
  const values = [...new Set(own.map((r) => r.value))];
  const param = own[0]?.param ?? '';
  const data = own.map((r) => ({ value: r.value, channel: r.channel, share: plotNumber(r.sharePct), label: `${r.sharePct} %` }));
  const title = `Share per channel as ${param} varies, ${book} (${currency})`;
  const description = `Lines with points: each channel's share of ${book}'s ${currency} revenue at ${param} = ${values.join(', ')}. ${new Set(own.map((r) => r.channel)).size} channels, ${data.length} points.`;
  const spec = {
    ...baseSpec(description), title, width: Math.min(CHART_WIDTH, Math.max(200, values.length * 90)), height: 260,
    data: { values: data },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: { field: 'value', type: 'ordinal', sort: values, title: param },
      y: { field: 'share', type: 'quantitative', title: 'share of revenue (%)' },
      color: { field: 'channel', type: 'nominal', title: 'channel' },
      tooltip: [{ field: 'channel' }, { field: 'value', title: param }, { field: 'label', title: 'share' }],
    },
  } as TopLevelSpec;
  return {
    id: `sensitivity-${book}-${currency}`, title, description, spec,
    marks: { type: 'symbol', count: data.length },
    table: { csv: SENSITIVITY_FILE_NAME, header: SENSITIVITY_HEADER, rows: own.map(cells) },
  };
}

export function sensitivitySections(rows: ReadonlyArray<SensitivityRow>, books: ReadonlyArray<string>, notes: ReadonlyArray<string>): Array<{ id: string; heading: string; blocks: Array<Block | Chart> }> {
  const groups = books.flatMap((b) => [...new Set(rows.filter((r) => r.book === b).map((r) => r.currency))].sort().map((c) => [b, c] as const));
  return [
    {
      id: 'sweep', heading: 'The sweep',
      blocks: [
        { type: 'text', lines: ['Computed from the inputs for each value, never written to the ledger. Shares are of each book\'s attributed revenue in the currency.', ...notes] },
        { type: 'list', items: largestSwings(rows) },
      ],
    },
    { id: 'shares', heading: 'Share per value', blocks: groups.map(([b, c]) => sensitivityChart(rows, b, c)) },
  ];
}
