// The HTML report of a run or of a monthly range, assembled from the same data as the summary
// (docs/reports.md). Pure: `runReportSections` lists the charts and tables, `renderRunReport`
// renders the charts' SVG (in this process) and the document.
import { basisOf, periodLabel } from '../common/period';
import { formatUnits } from '../domain/money';
import { currencyTotals } from './attributionCsv';
import { bookTitle, methodSentence } from './bookMethods';
import type { Chart } from './charts/chart';
import { monthStatesChart, monthlyRevenueChart, type MonthState } from './charts/monthCharts';
import { renderChartSvg } from './charts/render';
import { bucketsChart, revenueByBookChart, shareByBookChart } from './charts/runCharts';
import { comparisonRows } from './comparison';
import type { MonthRevenue } from './comparison';
import { renderHtml, type Block, type ReportHeader, type Section } from './html/document';
import { chosenNote, NON_POSITIVE_NOTE, type SummaryData } from './summary';

export interface RunReportData extends SummaryData {
  /** `monthly` or `as_of:<instant>`. */
  basis: string;
  runIds: ReadonlyArray<string>;
  /** A monthly range: revenue per month and the months' states. */
  months?: { revenue: ReadonlyArray<MonthRevenue>; states: ReadonlyArray<MonthState> };
}

/** `as_of:<cutoff>` for a snapshot, `monthly` for a month's run (cutoff = the end of its month). */
export function defaultBasis(from: string | null, to: string, asOf: string | null): string {
  return basisOf(from, to, asOf ?? to);
}

export function reportHeader(
  title: string,
  d: Pick<RunReportData, 'modelVersion' | 'basis' | 'periodFrom' | 'periodTo' | 'asOf' | 'books' | 'runIds'> & { chosen?: string; noRuns?: string },
): ReportHeader {
  const fields: Array<readonly [string, string]> = [
    ['Model version', d.modelVersion],
    ['Basis', d.basis],
    ['Period', `${d.periodFrom ?? 'beginning of time'} to ${d.periodTo} (exclusive)`],
    ['Cutoff', d.asOf ?? (d.basis === 'monthly' ? 'the end of each month' : d.periodTo)],
    ['Books', d.books.join(', ')],
  ];
  if (d.chosen) fields.push(['Chosen book', d.chosen]);
  fields.push(['Runs', d.runIds.length ? d.runIds.join(', ') : (d.noRuns ?? 'none recorded (recomputed from the ledger)')]);
  return { title, fields };
}

export function runReportSections(d: RunReportData): Array<{ id: string; heading: string; blocks: Array<Block | Chart> }> {
  const rows = comparisonRows(d.books, d.revenue, d.chosen);
  // The largest currency of the chosen book first (ties: by code), so the report opens with it.
  const chosenTotals = currencyTotals(d.revenue.get(d.chosen) ?? []);
  const currencies = [...new Set(d.books.flatMap((b) => [...currencyTotals(d.revenue.get(b) ?? []).keys()]))]
    .sort((a, b) => { const x = chosenTotals.get(a) ?? 0n; const y = chosenTotals.get(b) ?? 0n; return x > y ? -1 : x < y ? 1 : a < b ? -1 : 1; });
  const note = chosenNote(d);
  const sections: Array<{ id: string; heading: string; blocks: Array<Block | Chart> }> = [
    {
      id: 'method', heading: 'Method',
      blocks: [
        { type: 'text', lines: [`Each paying account's revenue (payments − refunds, per currency) is attributed when it is positive; every amount is split exactly to 0.0001.`] },
        { type: 'list', items: d.books.map((b) => methodSentence(b, d.ruleset)) },
        { type: 'text', lines: [`The chosen book for the main insights is ${bookTitle(d.chosen)} (${d.chosen}).`, ...(note ? [note] : [])] },
      ],
    },
    { id: 'books', heading: 'The books side by side', blocks: currencies.flatMap((c) => [revenueByBookChart(d.books, rows, c), shareByBookChart(d.books, rows, c)]) },
    { id: 'buckets', heading: 'Buckets: revenue a book cannot place', blocks: [bucketsChart(d.books, d.revenue)] },
    { id: 'reconciliation', heading: 'Reconciliation (billing = attributed + excluded)', blocks: [reconciliationBlock(d), { type: 'text', lines: [NON_POSITIVE_NOTE] }] },
  ];
  if (d.months) {
    const monthCurrencies = [...new Set(d.months.revenue.filter((r) => r.book === d.chosen).map((r) => r.currency))].sort();
    sections.splice(2, 0, {
      id: 'months', heading: `Months (${bookTitle(d.chosen)})`,
      blocks: [monthStatesChart(d.months.states), ...monthCurrencies.map((c) => monthlyRevenueChart(d.months!.revenue, d.chosen, c))],
    });
  }
  return sections;
}

function reconciliationBlock(d: RunReportData): Block {
  const reasons = [...new Set(d.reconciliation.flatMap((r) => Object.keys(r.excludedByReason)))].sort();
  return {
    type: 'table', id: 'reconciliation-table', caption: 'Billing of the period against the ledger, per book and currency',
    table: {
      csv: null,
      header: ['book', 'currency', 'billing', 'attributed', 'excluded', ...reasons.map((r) => `excluded: ${r}`), 'variance'],
      rows: d.reconciliation.map((r) => [r.book, r.currency, r.billingTotal, r.attributedTotal, r.excludedTotal,
        ...reasons.map((x) => r.excludedByReason[x] ?? formatUnits(0n)), r.variance]),
    },
  };
}

/** Renders every chart to SVG and the whole document. */
export async function renderSections(header: ReportHeader, sections: ReadonlyArray<{ id: string; heading: string; blocks: ReadonlyArray<Block | Chart> }>): Promise<string> {
  const rendered: Section[] = [];
  for (const s of sections) {
    const blocks: Block[] = [];
    for (const b of s.blocks) blocks.push('spec' in b ? { type: 'chart', chart: b, svg: await renderChartSvg(b) } : b);
    rendered.push({ id: s.id, heading: s.heading, blocks });
  }
  return renderHtml(header, rendered);
}

export function renderRunReport(d: RunReportData): Promise<string> {
  const title = d.months ? `Revenue attribution, months ${periodLabel(d.periodFrom, d.periodTo)}` : `Revenue attribution, ${periodLabel(d.periodFrom, d.periodTo)}`;
  return renderSections(reportHeader(title, d), runReportSections(d));
}
