// What a rule change did (docs/reports.md): per book, channel and currency the revenue under the
// old and the new model version, the delta and the delta %; totals per book and currency; the
// accounts that moved most, per currency. Pure: the rows come from the ledger (client/reports).
import { Decimal } from 'decimal.js';
import type { TopLevelSpec } from 'vega-lite';
import { formatUnits, parseAmountUnits } from '../domain/money';
import { BOOK_COLOURS, CHART_WIDTH, baseSpec, plotNumber, type Chart } from './charts/chart';
import { csvText, numberCell, textCell } from './csvCell';
import type { Block } from './html/document';

export const REPLAY_DIFF_CSV = 'replay_diff.csv';
export const REPLAY_DIFF_TXT = 'replay_diff.txt';

export interface ReplayDiffRow {
  book: string;
  channel: string;
  currency: string;
  oldRevenue: string;
  newRevenue: string;
  delta: string;
  deltaPct: string;
}

export interface ReplayMover {
  book: string;
  currency: string;
  accountId: string;
  moved: string;
}

export interface ReplayReportData {
  oldModelVersion: string;
  newModelVersion: string;
  from: string;
  to: string;
  books: ReadonlyArray<string>;
  rows: ReadonlyArray<ReplayDiffRow>;
  movers: ReadonlyArray<ReplayMover>;
}

export function replayDiffRow(r: { book: string; channel: string; currency: string; old: string; new: string }): ReplayDiffRow {
  const delta = new Decimal(r.new).minus(r.old);
  const pct = new Decimal(r.old).isZero() ? '' : delta.mul(100).div(r.old).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
  return { book: r.book, channel: r.channel, currency: r.currency, oldRevenue: r.old, newRevenue: r.new, delta: delta.toFixed(4), deltaPct: pct };
}

export const REPLAY_DIFF_HEADER = ['book', 'channel', 'currency', 'old_revenue', 'new_revenue', 'delta', 'delta_pct'];

export function renderReplayDiffCsv(rows: ReadonlyArray<ReplayDiffRow>): string {
  return csvText(REPLAY_DIFF_HEADER, rows.map((r) => [
    textCell(r.book), textCell(r.channel), textCell(r.currency), numberCell(r.oldRevenue), numberCell(r.newRevenue), numberCell(r.delta), numberCell(r.deltaPct),
  ]));
}

export function renderReplayDiffText(d: ReplayReportData): string {
  const text: string[] = [`Replay diff: ${d.oldModelVersion} → ${d.newModelVersion}`, `Period: ${d.from} to ${d.to} (exclusive)`, ''];
  for (const book of d.books) {
    text.push(`${book}:`);
    const changed = d.rows.filter((r) => r.book === book && r.delta !== '0.0000');
    if (changed.length === 0) text.push('  no channel changed');
    for (const r of changed) text.push(`  ${r.channel} ${r.currency}: ${r.oldRevenue} → ${r.newRevenue} (${r.delta.startsWith('-') ? '' : '+'}${r.delta}${r.deltaPct ? `, ${r.deltaPct} %` : ''})`);
    const top = d.movers.filter((m) => m.book === book);
    if (top.length) text.push(`  accounts that moved most: ${top.map((m) => `${m.accountId} (${m.moved} ${m.currency})`).join(', ')}`);
    text.push('');
  }
  return text.join('\n');
}

/** Old and new total per book and currency. */
export function replayTotals(rows: ReadonlyArray<ReplayDiffRow>): string[][] {
  const totals = new Map<string, { book: string; currency: string; old: bigint; new: bigint }>();
  for (const r of rows) {
    const key = `${r.book}\u0000${r.currency}`;
    const t = totals.get(key) ?? { book: r.book, currency: r.currency, old: 0n, new: 0n };
    t.old += parseAmountUnits(r.oldRevenue);
    t.new += parseAmountUnits(r.newRevenue);
    totals.set(key, t);
  }
  return [...totals.values()].sort((a, b) => (a.book < b.book ? -1 : a.book > b.book ? 1 : a.currency < b.currency ? -1 : 1))
    .map((t) => [t.book, t.currency, formatUnits(t.old), formatUnits(t.new), formatUnits(t.new - t.old)]);
}

/** Old vs new per channel for one book and currency: two bars per channel. */
export function oldNewChart(d: ReplayReportData, book: string, currency: string): Chart {
  const own = d.rows.filter((r) => r.book === book && r.currency === currency);
  const versions = [`old ${d.oldModelVersion}`, `new ${d.newModelVersion}`];
  const data = own.flatMap((r) => [
    { channel: r.channel, version: versions[0], value: plotNumber(r.oldRevenue), label: r.oldRevenue },
    { channel: r.channel, version: versions[1], value: plotNumber(r.newRevenue), label: r.newRevenue },
  ]);
  const title = `Old vs new revenue per channel, ${book} (${currency})`;
  const description = `Grouped bars: for each of ${own.length} channels, the ${currency} revenue under ${d.oldModelVersion} (old) and ${d.newModelVersion} (new), book ${book}.`;
  const spec = {
    ...baseSpec(description), title, width: Math.max(CHART_WIDTH, 14 * data.length), height: 240,
    data: { values: data },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'channel', type: 'nominal', sort: null, title: 'channel', axis: { labelAngle: -35 } },
      xOffset: { field: 'version', type: 'nominal', sort: versions },
      y: { field: 'value', type: 'quantitative', title: `revenue (${currency})` },
      color: { field: 'version', type: 'nominal', sort: versions, scale: { domain: versions, range: BOOK_COLOURS.slice(8, 10) }, title: 'model version' },
      tooltip: [{ field: 'version' }, { field: 'channel' }, { field: 'label', title: 'revenue' }],
    },
  } as TopLevelSpec;
  return {
    id: `old-new-${book}-${currency}`, title, description, spec,
    marks: { type: 'rect', count: data.length },
    table: { csv: REPLAY_DIFF_CSV, header: REPLAY_DIFF_HEADER, rows: own.map(cells) },
  };
}

/** Every non-zero delta of a currency, largest |delta| first (ties: book, channel). */
export function deltasChart(d: ReplayReportData, currency: string): Chart {
  const size = (r: ReplayDiffRow) => { const u = parseAmountUnits(r.delta); return u < 0n ? -u : u; };
  const own = d.rows.filter((r) => r.currency === currency && r.delta !== '0.0000')
    .sort((a, b) => (size(a) > size(b) ? -1 : size(a) < size(b) ? 1 : a.book < b.book ? -1 : a.book > b.book ? 1 : a.channel < b.channel ? -1 : 1));
  const data = own.map((r, i) => ({ rank: i, item: `${r.book} · ${r.channel}`, value: plotNumber(r.delta), label: r.delta, sign: r.delta.startsWith('-') ? 'lost' : 'gained' }));
  const title = `Deltas, largest first (${currency})`;
  const description = own.length ? `Horizontal bars: the ${own.length} book and channel pairs whose ${currency} revenue changed, sorted by the size of the change.` : `No ${currency} revenue changed.`;
  const spec = {
    ...baseSpec(description), title, width: CHART_WIDTH, height: { step: 18 },
    data: { values: data },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'item', type: 'nominal', sort: { field: 'rank', order: 'ascending' }, title: 'book · channel', axis: { labelLimit: 320 } },
      x: { field: 'value', type: 'quantitative', title: `delta (${currency})` },
      color: { field: 'sign', type: 'nominal', scale: { domain: ['gained', 'lost'], range: ['#54a24b', '#e45756'] }, title: 'change' },
      tooltip: [{ field: 'item' }, { field: 'label', title: 'delta' }],
    },
  } as TopLevelSpec;
  return {
    id: `deltas-${currency}`, title, description, spec,
    marks: { type: 'rect', count: data.length },
    table: { csv: REPLAY_DIFF_CSV, header: REPLAY_DIFF_HEADER, rows: own.map(cells) },
  };
}

const cells = (r: ReplayDiffRow) => [r.book, r.channel, r.currency, r.oldRevenue, r.newRevenue, r.delta, r.deltaPct];

export function replayReportSections(d: ReplayReportData): Array<{ id: string; heading: string; blocks: Array<Block | Chart> }> {
  const currencies = [...new Set(d.rows.map((r) => r.currency))].sort();
  return [
    {
      id: 'change', heading: 'What changed',
      blocks: [{ type: 'text', lines: [`The same period under ${d.oldModelVersion} (old) and ${d.newModelVersion} (new): the old ledger rows are untouched, the new ones sit beside them.`] }],
    },
    { id: 'old-new', heading: 'Old vs new per book and channel', blocks: d.books.flatMap((b) => currencies.filter((c) => d.rows.some((r) => r.book === b && r.currency === c)).map((c) => oldNewChart(d, b, c))) },
    { id: 'deltas', heading: 'Deltas sorted by size', blocks: currencies.map((c) => deltasChart(d, c)) },
    {
      id: 'totals', heading: 'Totals per book and currency',
      blocks: [{ type: 'table', id: 'totals-table', caption: 'Attributed revenue per book and currency, old and new', table: { csv: null, header: ['book', 'currency', 'old_revenue', 'new_revenue', 'delta'], rows: replayTotals(d.rows) } }],
    },
    {
      id: 'movers', heading: 'Accounts that moved most',
      blocks: currencies.map((c) => ({
        type: 'table' as const, id: `movers-${c}`, caption: `Accounts whose ${c} attribution moved most (sum over channels of |new − old|), per book`,
        table: { csv: null, header: ['book', 'currency', 'account', 'moved'], rows: d.movers.filter((m) => m.currency === c).map((m) => [m.book, m.currency, m.accountId, m.moved]) },
      })),
    },
  ];
}
