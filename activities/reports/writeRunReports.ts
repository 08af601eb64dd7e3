// writeRunReports: the outputs of SPEC §10, computed from the ledger alone (so `attribution
// report` can rewrite them at any time): one attribution CSV per book, chosen_attribution.csv and
// analysis_summary.txt. Files are written to a temporary name and renamed, so a reader never sees
// half a file and a retried activity simply writes them again.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { parseAmountUnits } from '../../domain/money';
import { parseRuleset } from '../../domain/ruleset';
import { attributionFileName, CHOSEN_FILE_NAME, renderAttributionCsv, type ChannelRevenue } from '../../reporting/attributionCsv';
import { renderSummary, type DecisionCount } from '../../reporting/summary';
import { computeReconciliation, readReconciliation } from '../run/reconcileRun';
import { learnedModelReports } from './learnedModelReports';
import { inPeriod } from '../run/runRecord';

export interface WriteReportsInput {
  modelVersion: string;
  from: string | null;
  to: string;
  asOf: string | null;
  books: string[];
  outDir: string;
  /** When given, the summary shows that run's stored reconciliation; otherwise it is recomputed. */
  runId: string | null;
}

export interface WrittenReports {
  outDir: string;
  files: string[];
}

export const SUMMARY_FILE_NAME = 'analysis_summary.txt';

export async function writeRunReports(pool: pg.Pool, input: WriteReportsInput): Promise<WrittenReports> {
  const ruleset = await loadRuleset(pool, input.modelVersion);
  const period = [input.from === null ? null : new Date(input.from), new Date(input.to)];
  const revenue = await channelRevenue(pool, input.modelVersion, input.books, period);
  const decisions = await decisionCounts(pool, input.modelVersion, input.books, period);
  const reconciliation = input.runId
    ? await readReconciliation(pool, input.runId)
    : (await Promise.all(input.books.map((book) => computeReconciliation(pool, input.modelVersion, book, period)))).flat();
  const chosen = input.books.includes(ruleset.report.chosen) ? ruleset.report.chosen : input.books[0]!;
  const attributedAccounts = await pool.query<{ currency: string; accounts: number }>(
    `SELECT currency::text AS currency, count(DISTINCT account_id)::int AS accounts FROM ledger_entries
      WHERE model_version = $1 AND book = $2 AND status = 'attributed' AND ${inPeriod('event_at', '$3', '$4')}
      GROUP BY currency ORDER BY currency`,
    [input.modelVersion, chosen, ...period],
  );

  const learned = await learnedModelReports(pool, input.runId, input.modelVersion);

  const files = new Map<string, string>();
  for (const book of input.books) files.set(attributionFileName(book), renderAttributionCsv(revenue.get(book) ?? []));
  for (const [name, content] of learned.files) files.set(name, content);
  files.set(CHOSEN_FILE_NAME, renderAttributionCsv(revenue.get(chosen) ?? []));
  files.set(SUMMARY_FILE_NAME, renderSummary({
    runId: input.runId, modelVersion: input.modelVersion, ruleset, periodFrom: input.from, periodTo: input.to, asOf: input.asOf,
    books: input.books, chosen, revenue, attributedAccounts: attributedAccounts.rows, decisions, reconciliation, learned: learned.summary,
  }));

  fs.mkdirSync(input.outDir, { recursive: true });
  for (const [name, content] of files) {
    const target = path.join(input.outDir, name);
    fs.writeFileSync(`${target}.partial`, content);
    fs.renameSync(`${target}.partial`, target);
  }
  return { outDir: input.outDir, files: [...files.keys()] };
}

async function loadRuleset(pool: pg.Pool, modelVersion: string) {
  const row = await pool.query<{ yaml: string; source_name: string }>('SELECT yaml, source_name FROM rulesets WHERE model_version = $1', [modelVersion]);
  if (!row.rows[0]) throw new Error(`No ruleset with model version ${modelVersion} in the database; run an attribution with it first.`);
  return parseRuleset(row.rows[0].yaml, row.rows[0].source_name);
}

/** Revenue per (book, channel, currency) from the ledger lines of the period. */
async function channelRevenue(pool: pg.Pool, modelVersion: string, books: string[], period: Array<Date | null>): Promise<Map<string, ChannelRevenue[]>> {
  const result = await pool.query<{ book: string; channel: string; currency: string; revenue: string; accounts: number; transactions: number }>(
    `WITH per_account AS (
       SELECT book, channel, currency, account_id, sum(amount) AS amount, count(*) AS transactions
         FROM ledger_lines
        WHERE model_version = $1 AND book = ANY($2) AND ${inPeriod('event_at', '$3', '$4')}
        GROUP BY book, channel, currency, account_id)
     SELECT book, channel, currency::text AS currency, sum(amount)::text AS revenue,
            (count(*) FILTER (WHERE amount <> 0))::int AS accounts, sum(transactions)::int AS transactions
       FROM per_account GROUP BY book, channel, currency`,
    [modelVersion, books, ...period],
  );
  const byBook = new Map<string, ChannelRevenue[]>();
  for (const r of result.rows) {
    const rows = byBook.get(r.book) ?? [];
    rows.push({ channel: r.channel, currency: r.currency, revenueUnits: parseAmountUnits(r.revenue), accounts: r.accounts, transactions: r.transactions });
    byBook.set(r.book, rows);
  }
  return byBook;
}

async function decisionCounts(pool: pg.Pool, modelVersion: string, books: string[], period: Array<Date | null>): Promise<DecisionCount[]> {
  const result = await pool.query<DecisionCount>(
    `SELECT book, kind, status, reason, count(*)::int AS count, sum(amount)::text AS amount
       FROM ledger_entries
      WHERE model_version = $1 AND book = ANY($2) AND ${inPeriod('event_at', '$3', '$4')}
      GROUP BY book, kind, status, reason ORDER BY book, kind, status, reason`,
    [modelVersion, books, ...period],
  );
  return result.rows;
}
