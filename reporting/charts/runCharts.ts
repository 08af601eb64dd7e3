// The charts of a run's report (docs/reports.md): the books side by side per currency (revenue,
// and share of the currency's revenue), and the buckets a book cannot place. Data-driven over
// the list of books: any number of books, any book name.
import type { TopLevelSpec } from 'vega-lite';
import { PSEUDO_CHANNELS } from '../../domain/channels';
import { formatUnits } from '../../domain/money';
import type { ChannelRevenue } from '../attributionCsv';
import { attributionFileName, currencyTotals, sharePct, sortChannelRevenue } from '../attributionCsv';
import { COMPARISON_FILE_NAME, type ComparisonRow } from '../comparison';
import { BOOK_COLOURS, CHART_WIDTH, baseSpec, plotNumber, type Chart } from './chart';

interface BarDatum {
  channel: string;
  book: string;
  value: number;
  label: string;
}

function groupedBars(id: string, title: string, description: string, data: BarDatum[], books: ReadonlyArray<string>, axisTitle: string): TopLevelSpec {
  return {
    ...baseSpec(description),
    title,
    width: Math.max(CHART_WIDTH, 14 * data.length),
    height: 260,
    data: { values: data },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'channel', type: 'nominal', title: 'channel', sort: null, axis: { labelAngle: -35 } },
      xOffset: { field: 'book', type: 'nominal', sort: [...books] },
      y: { field: 'value', type: 'quantitative', title: axisTitle },
      color: { field: 'book', type: 'nominal', sort: [...books], scale: { domain: [...books], range: BOOK_COLOURS.slice(0, books.length) }, title: 'book' },
      tooltip: [{ field: 'book' }, { field: 'channel' }, { field: 'label', title: axisTitle }],
    },
    usermeta: { chartId: id },
  } as TopLevelSpec;
}

/** Revenue per channel, one bar per book, for one currency; the table is comparison.csv's rows of that currency. */
export function revenueByBookChart(books: ReadonlyArray<string>, rows: ReadonlyArray<ComparisonRow>, currency: string): Chart {
  const own = rows.filter((r) => r.currency === currency);
  const data = own.flatMap((r) => books.filter((b) => r.byBook.has(b)).map((b) => {
    const text = formatUnits(r.byBook.get(b)!.revenueUnits);
    return { channel: r.channel, book: b, value: plotNumber(text), label: text };
  }));
  const title = `Revenue per channel and book (${currency})`;
  const description = `Grouped bars: for each channel, the ${currency} revenue each book (${books.join(', ')}) attributes to it. ${own.length} channels, ${data.length} bars.`;
  return {
    id: `revenue-${currency}`, title, description,
    spec: groupedBars(`revenue-${currency}`, title, description, data, books, `revenue (${currency})`),
    marks: { type: 'rect', count: data.length },
    table: {
      csv: COMPARISON_FILE_NAME,
      header: ['channel', 'currency', ...books.map((b) => `${b}_revenue`)],
      rows: own.map((r) => [r.channel, r.currency, ...books.map((b) => formatUnits(r.byBook.get(b)?.revenueUnits ?? 0n))]),
    },
  };
}

/** The same channels as a share of each book's revenue in the currency (percent). */
export function shareByBookChart(books: ReadonlyArray<string>, rows: ReadonlyArray<ComparisonRow>, currency: string): Chart {
  const own = rows.filter((r) => r.currency === currency);
  const data = own.flatMap((r) => books.filter((b) => r.byBook.has(b)).map((b) => {
    const text = r.byBook.get(b)!.sharePct;
    return { channel: r.channel, book: b, value: plotNumber(text), label: `${text} %` };
  }));
  const title = `Share of revenue per channel and book (${currency}, %)`;
  const description = `Grouped bars: for each channel, its share of each book's ${currency} revenue, in percent. ${data.length} bars.`;
  return {
    id: `share-${currency}`, title, description,
    spec: groupedBars(`share-${currency}`, title, description, data, books, 'share of revenue (%)'),
    marks: { type: 'rect', count: data.length },
    table: {
      csv: COMPARISON_FILE_NAME,
      header: ['channel', 'currency', ...books.map((b) => `${b}_share_pct`)],
      rows: own.map((r) => [r.channel, r.currency, ...books.map((b) => r.byBook.get(b)?.sharePct ?? '0.00')]),
    },
  };
}

/** The pseudo-channels per book: revenue a book could not place on a real channel. */
export function bucketsChart(books: ReadonlyArray<string>, revenue: ReadonlyMap<string, ReadonlyArray<ChannelRevenue>>): Chart {
  const rows = books.flatMap((book) => {
    const all = revenue.get(book) ?? [];
    const totals = currencyTotals(all);
    return sortChannelRevenue(all.filter((r) => PSEUDO_CHANNELS.includes(r.channel)))
      .map((r) => ({ book, r, share: sharePct(r.revenueUnits, totals.get(r.currency)!) }));
  });
  const data = rows.map(({ book, r }) => ({
    bucket: `${r.channel} · ${r.currency}`, book, value: plotNumber(formatUnits(r.revenueUnits)), label: `${formatUnits(r.revenueUnits)} ${r.currency}`,
  }));
  const title = 'Revenue no channel could take, per book';
  const description = rows.length
    ? `Bars: the revenue each book put into (no integration) or (no usage), per currency. ${rows.length} bars.`
    : 'No book put revenue into (no integration) or (no usage).';
  const spec = {
    ...baseSpec(description),
    title,
    width: CHART_WIDTH,
    height: { step: 22 },
    data: { values: data },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      y: { field: 'book', type: 'nominal', sort: [...books], title: 'book' },
      yOffset: { field: 'bucket', type: 'nominal' },
      x: { field: 'value', type: 'quantitative', title: 'revenue' },
      color: { field: 'bucket', type: 'nominal', title: 'bucket' },
      tooltip: [{ field: 'book' }, { field: 'bucket' }, { field: 'label', title: 'revenue' }],
    },
  } as TopLevelSpec;
  return {
    id: 'buckets', title, description, spec,
    marks: { type: 'rect', count: data.length },
    table: {
      csv: null,
      header: ['book', 'channel', 'currency', 'revenue', 'share_pct', 'accounts'],
      rowCsv: rows.map(({ book }) => attributionFileName(book)),
      rows: rows.map(({ book, r, share }) => [book, r.channel, r.currency, formatUnits(r.revenueUnits), share, String(r.accounts)]),
    },
  };
}
