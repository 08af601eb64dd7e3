// The reports of a run or of a monthly range, written by the command's own process from the
// ledger (docs/reports.md): one attribution CSV per book, chosen_attribution.csv,
// comparison.csv, revenue_by_month.csv (ranges), analysis_summary.txt, report.html and
// manifest.json. A worker never writes report files.
import { monthGrid } from '../../store/monthStates';
import type pg from 'pg';
import { MONTHLY_BASIS, monthStart, monthsBetween, nextMonth } from '../../common/period';
import { attributionFileName, CHOSEN_FILE_NAME, renderAttributionCsv } from '../../reporting/attributionCsv';
import type { MonthState } from '../../reporting/charts/monthCharts';
import { COMPARISON_FILE_NAME, comparisonRows, renderComparisonCsv, renderRevenueByMonthCsv, REVENUE_BY_MONTH_FILE_NAME } from '../../reporting/comparison';
import { defaultBasis, renderRunReport, type RunReportData } from '../../reporting/runReport';
import { renderSummary } from '../../reporting/summary';
import { writeReportFiles, type WrittenReports } from './files';
import { learnedModelReports } from './learnedModels';
import { fileVersionsUpTo } from '../../store/inputs';
import { reconcileBook } from '../../store/ledger';
import * as ledger from '../../store/ledgerReports';
import { readReconciliation, type ReconciliationRow } from '../../store/runResults';
import { dataVersionOf, loadRuleset, runsOf } from '../../store/runs';

export const SUMMARY_FILE_NAME = 'analysis_summary.txt';
export const REPORT_FILE_NAME = 'report.html';

export interface RunReportInput {
  modelVersion: string;
  from: string | null;
  to: string;
  asOf: string | null;
  books: string[];
  outDir: string;
  /** When given, the summary shows that run's stored reconciliation; otherwise it is recomputed. */
  runId: string | null;
  /** `monthly` or `as_of:<instant>`; default from the period (defaultBasis). */
  basis?: string;
  /** A monthly range (YYYY-MM, both included; it sets the period): adds the months' revenue and states. */
  months?: { from: string; to: string; states?: ReadonlyArray<MonthState> };
}

export async function writeRunReport(pool: pg.Pool, input: RunReportInput): Promise<WrittenReports> {
  const ruleset = await loadRuleset(pool, input.modelVersion);
  const from = input.months ? monthStart(input.months.from) : input.from;
  const to = input.months ? monthStart(nextMonth(input.months.to)) : input.to;
  const basis = input.basis ?? (input.months ? MONTHLY_BASIS : defaultBasis(from, to, input.asOf));
  const scope: ledger.LedgerScope = { modelVersion: input.modelVersion, basis, books: input.books, from, to };
  // report.chosen may name a book this report does not hold (--books): the first book stands in, and the report says so.
  const chosen = input.books.includes(ruleset.report.chosen) ? ruleset.report.chosen : input.books[0]!;
  const [revenue, decisions, reconciliation, accounts, dataVersions, learned] = await Promise.all([
    ledger.channelRevenue(pool, scope), ledger.decisionCounts(pool, scope), reconciliationOf(pool, scope, input.months ? null : input.runId),
    ledger.attributedAccounts(pool, scope, chosen), fileVersionsUpTo(pool, input.runId ? await dataVersionOf(pool, [input.runId]) : null),
    learnedModelReports(pool, input.months ? null : input.runId, input.modelVersion),
  ]);
  const runs = input.months ? await monthRuns(pool, input.modelVersion, input.months.from, input.months.to) : null;
  const runIds = runs ? [...runs.values()].flat() : input.runId ? [input.runId] : [];
  const data: RunReportData = {
    runId: input.runId, modelVersion: input.modelVersion, ruleset, periodFrom: from, periodTo: to, asOf: input.months ? null : input.asOf,
    books: input.books, chosen, revenue, attributedAccounts: accounts, decisions, reconciliation,
    basis, runIds, learned: learned.summary,
    inputs: summariseInputs(dataVersions),
  };

  const files = new Map<string, string>();
  for (const book of input.books) files.set(attributionFileName(book), renderAttributionCsv(revenue.get(book) ?? []));
  for (const [name, content] of learned.files) files.set(name, content); // markov_removal_effects.csv, shapley_values.csv
  files.set(CHOSEN_FILE_NAME, renderAttributionCsv(revenue.get(chosen) ?? []));
  files.set(COMPARISON_FILE_NAME, renderComparisonCsv(input.books, comparisonRows(input.books, revenue, chosen)));
  if (input.months) {
    const monthRevenue = await ledger.revenueByMonth(pool, scope);
    const states = input.months.states ?? (await monthGrid(pool, { modelVersion: input.modelVersion, books: input.books },
      monthsBetween(input.months.from, input.months.to), { persist: false })).map((r) => ({ month: r.month, state: r.state }));
    data.months = { revenue: monthRevenue, states };
    files.set(REVENUE_BY_MONTH_FILE_NAME, renderRevenueByMonthCsv(monthRevenue));
  }
  files.set(SUMMARY_FILE_NAME, renderSummary(data));
  files.set(REPORT_FILE_NAME, await renderRunReport(data));
  return writeReportFiles(input.outDir, files, {
    kind: input.months ? 'range' : 'run', modelVersion: input.modelVersion, basis: data.basis, period: { from, to },
    cutoff: data.asOf, books: input.books, chosen, chosenRequested: ruleset.report.chosen, runIds, inputDataVersions: dataVersions,
    ...(data.months ? { months: data.months.states } : {}),
  });
}

/** The stored reconciliation of a run, or (no run) recomputed from billing and the ledger. */
async function reconciliationOf(pool: pg.Pool, s: ledger.LedgerScope, runId: string | null): Promise<ReconciliationRow[]> {
  if (runId) return readReconciliation(pool, runId);
  const from = s.from === null ? null : new Date(s.from);
  return (await Promise.all(s.books.map(async (book) => (await reconcileBook(pool, { modelVersion: s.modelVersion, basis: s.basis, book }, from, new Date(s.to))).rows))).flat();
}

/** Month → the runs recorded for it under the model version (a month is done when it has one). */
async function monthRuns(pool: pg.Pool, modelVersion: string, fromMonth: string, toMonth: string): Promise<Map<string, string[]>> {
  const byMonth = new Map<string, string[]>();
  for (const month of monthsBetween(fromMonth, toMonth)) {
    const runs = await runsOf(pool, modelVersion, { from: monthStart(month), to: monthStart(nextMonth(month)) });
    if (runs.length) byMonth.set(month, runs.map((r) => r.runId));
  }
  return byMonth;
}

/** `krispcall-small: 6 file versions (#1–#6)`, one per dataset: what the summary says the report covers. */
function summariseInputs(files: ReadonlyArray<{ dataset: string; fileId: number }>): string[] {
  const byDataset = new Map<string, number[]>();
  for (const f of files) byDataset.set(f.dataset, [...(byDataset.get(f.dataset) ?? []), f.fileId]);
  return [...byDataset].map(([dataset, ids]) => `${dataset}: ${ids.length} file version(s) (#${Math.min(...ids)}–#${Math.max(...ids)})`);
}
