// The charts of a monthly range (docs/reports.md): the chosen book's revenue per channel and
// month (stacked bars, one chart per currency), and the months' states as a strip of cells.
import type { TopLevelSpec } from 'vega-lite';
import { formatUnits } from '../../domain/money';
import { REVENUE_BY_MONTH_FILE_NAME, type MonthRevenue } from '../comparison';
import { CHART_WIDTH, baseSpec, plotNumber, type Chart } from './chart';

export interface MonthState {
  month: string;
  /** done, running, failed, missing or stale. */
  state: string;
}

const STATE_COLOURS: Record<string, string> = { done: '#54a24b', running: '#4c78a8', failed: '#e45756', missing: '#bab0ac', stale: '#eeca3b' };

export function monthlyRevenueChart(revenue: ReadonlyArray<MonthRevenue>, book: string, currency: string): Chart {
  const own = revenue.filter((r) => r.book === book && r.currency === currency && r.revenueUnits !== 0n)
    .sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  const data = own.map((r) => ({ month: r.month, channel: r.channel, value: plotNumber(formatUnits(r.revenueUnits)), label: formatUnits(r.revenueUnits) }));
  const months = new Set(own.map((r) => r.month)).size;
  const title = `Revenue per channel per month, ${book} (${currency})`;
  const description = `Stacked bars: for each of ${months} months, the ${currency} revenue ${book} attributes to each channel. ${data.length} bar segments.`;
  const spec = {
    ...baseSpec(description), title, width: CHART_WIDTH, height: 260,
    data: { values: data },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'month', type: 'ordinal', title: 'month' },
      y: { field: 'value', type: 'quantitative', title: `revenue (${currency})`, stack: 'zero' },
      color: { field: 'channel', type: 'nominal', title: 'channel' },
      order: { field: 'channel' },
      tooltip: [{ field: 'month' }, { field: 'channel' }, { field: 'label', title: 'revenue' }],
    },
  } as TopLevelSpec;
  return {
    id: `months-${currency}`, title, description, spec,
    marks: { type: 'rect', count: data.length },
    table: {
      csv: REVENUE_BY_MONTH_FILE_NAME,
      header: ['month', 'book', 'channel', 'currency', 'revenue', 'accounts'],
      rows: own.map((r) => [r.month, r.book, r.channel, r.currency, formatUnits(r.revenueUnits), String(r.accounts)]),
    },
  };
}

export function monthStatesChart(states: ReadonlyArray<MonthState>): Chart {
  const counts = Object.entries(states.reduce<Record<string, number>>((a, s) => ({ ...a, [s.state]: (a[s.state] ?? 0) + 1 }), {}))
    .map(([s, n]) => `${n} ${s}`).join(', ');
  const title = 'State of each month';
  const description = `One cell per month of the range, coloured by its state: ${counts || 'no months'}.`;
  const domain = Object.keys(STATE_COLOURS);
  const spec = {
    ...baseSpec(description), title,
    width: Math.min(CHART_WIDTH, Math.max(60, states.length * 44)), height: 36,
    data: { values: states.map((s) => ({ ...s })) },
    mark: { type: 'rect', tooltip: true, stroke: 'white' },
    encoding: {
      x: { field: 'month', type: 'ordinal', title: 'month' },
      color: { field: 'state', type: 'nominal', scale: { domain, range: domain.map((s) => STATE_COLOURS[s]!) }, title: 'state' },
      tooltip: [{ field: 'month' }, { field: 'state' }],
    },
  } as TopLevelSpec;
  return {
    id: 'month-states', title, description, spec,
    marks: { type: 'rect', count: states.length },
    table: { csv: null, header: ['month', 'state'], rows: states.map((s) => [s.month, s.state]) },
  };
}
