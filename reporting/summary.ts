// analysis_summary.txt (docs/reports.md): the KrispCall summary written from the data — method, counts,
// buckets, reconciliation, top channels per book, and the summary's four recommendations with
// this data's winners. Pure.
import { PSEUDO_CHANNELS } from '../domain/channels';
import { formatUnits, parseAmountUnits } from '../domain/money';
import type { Ruleset } from '../domain/ruleset';
import { currencyTotals, sharePct, sortChannelRevenue, type ChannelRevenue } from './attributionCsv';
import { bookTitle, methodSentence } from './bookMethods';
import { learnedSentence, type LearnedSummary } from './methodSentences';
import { reconciliationTable } from './table';

export type { LearnedSummary } from './methodSentences';

export interface DecisionCount {
  book: string;
  kind: string;
  status: string;
  reason: string;
  count: number;
  amount: string;
}

export interface ReconciliationLine {
  book: string;
  currency: string;
  billingTotal: string;
  attributedTotal: string;
  excludedTotal: string;
  excludedByReason: Record<string, string>;
  variance: string;
}

export interface SummaryData {
  runId: string | null;
  /** The inputs the report covers, one line per dataset (docs/operations.md, "Scope"). */
  inputs?: ReadonlyArray<string>;
  modelVersion: string;
  basis: string;
  ruleset: Ruleset;
  periodFrom: string | null;
  periodTo: string;
  asOf: string | null;
  books: ReadonlyArray<string>;
  chosen: string;
  revenue: ReadonlyMap<string, ReadonlyArray<ChannelRevenue>>;
  /** Accounts with attributed revenue under the chosen book, per currency. */
  attributedAccounts: ReadonlyArray<{ currency: string; accounts: number }>;
  decisions: ReadonlyArray<DecisionCount>;
  reconciliation: ReadonlyArray<ReconciliationLine>;
  /** What the data-driven books learned from (null or absent when no book of the run learns). */
  learned?: LearnedSummary | null;
}

const title = bookTitle;

/** The chosen book, and why it differs from report.chosen when that book was not run. */
export function chosenNote(d: Pick<SummaryData, 'ruleset' | 'chosen'>): string | null {
  const asked = d.ruleset.report.chosen;
  return asked === d.chosen ? null
    : `report.chosen is ${asked}, which this report does not hold; ${d.chosen} (the first book that was run) stands in for it, in chosen_attribution.csv too.`;
}

/**
 * For finance readers: why the excluded amount of non_positive_net_revenue can be negative. The
 * ledger keeps refunds as negative amounts, so an account refunded in full (or more than it paid
 * in the period) nets to zero or below, and its refunds outweigh its payments in the excluded sum.
 */
export const NON_POSITIVE_NOTE =
  'About non_positive_net_revenue: these accounts\' payments minus refunds come to zero or less, so none of it is attributed. ' +
  'Refunds are stored as negative amounts, so this excluded total is payments + refunds, and it is negative when these accounts\' refunds ' +
  'outweigh their payments in the period (a refund of a payment made before the period, or of one that was already excluded). ' +
  'Billing counts the same refunds, so billing = attributed + excluded still holds to the last 0.0001.';

export function renderSummary(d: SummaryData): string {
  const out: string[] = [];
  const section = (name: string) => out.push('', name, '-'.repeat(name.length));
  out.push('Revenue attribution analysis — summary', '======================================');
  out.push(`Model version: ${d.modelVersion}`);
  out.push(`Basis: ${basisSentence(d.basis)}`);
  out.push(`Period: ${d.periodFrom ?? 'all time'} to ${d.periodTo} (exclusive)${d.asOf ? `, data as of ${d.asOf}` : ''}`);
  if (d.runId) out.push(`Run: ${d.runId}`);
  if (d.inputs && d.inputs.length > 0) out.push(`Inputs: ${d.inputs.join('; ')}`);

  section('Method');
  out.push(...methodLines(d));

  section('Counts');
  const byBook = d.decisions.filter((c) => c.book === d.chosen);
  const count = (kind: string, status?: string) => byBook.filter((c) => c.kind === kind && (!status || c.status === status)).reduce((n, c) => n + c.count, 0);
  out.push(`Payments: ${count('payment')} (${count('payment', 'attributed')} attributed); refunds: ${count('refund')} (${count('refund', 'attributed')} reversed against attributed revenue).`);
  const excluded = byBook.filter((c) => c.status === 'excluded');
  for (const reason of [...new Set(excluded.map((c) => c.reason))].sort()) {
    const rows = excluded.filter((c) => c.reason === reason);
    out.push(`Excluded (${reason}): ${rows.reduce((n, c) => n + c.count, 0)} transactions, ${sumAmounts(rows.map((c) => c.amount))}.`);
    if (reason === 'non_positive_net_revenue') out.push(NON_POSITIVE_NOTE);
  }
  const accounts = d.attributedAccounts.map((a) => `${a.accounts} in ${a.currency}`).join(', ') || 'none';
  out.push(`Accounts with attributed revenue (${title(d.chosen)}): ${accounts}.`);

  section('Buckets (revenue a model cannot place)');
  for (const book of d.books) {
    const rows = d.revenue.get(book) ?? [];
    const totals = currencyTotals(rows);
    for (const r of sortChannelRevenue(rows).filter((r) => PSEUDO_CHANNELS.includes(r.channel))) {
      out.push(`${title(book)}: ${r.channel} holds ${formatUnits(r.revenueUnits)} ${r.currency} (${sharePct(r.revenueUnits, totals.get(r.currency)!)} %) from ${r.accounts} accounts.`);
    }
  }
  if (out[out.length - 1]!.startsWith('-')) out.push('No revenue fell into the (no integration) or (no usage) buckets.');

  section('Reconciliation (billing = attributed + excluded)');
  out.push(reconciliationTable(d.reconciliation));

  section('Top channels per book');
  for (const book of d.books) {
    const rows = d.revenue.get(book) ?? [];
    const totals = currencyTotals(rows);
    out.push(`${title(book)} (${book}):`);
    for (const currency of [...totals.keys()].sort()) {
      const top = sortChannelRevenue(rows).filter((r) => r.currency === currency).slice(0, 5);
      out.push(`  ${currency}: ${top.map((r) => `${r.channel} ${formatUnits(r.revenueUnits)} (${sharePct(r.revenueUnits, totals.get(currency)!)} %)`).join('; ')}`);
    }
  }

  section('What to do with this information');
  out.push(...recommendations(d));
  return out.join('\n') + '\n';
}

function methodLines(d: SummaryData): string[] {
  const r = d.ruleset;
  const lines = [
    `Each paying account's revenue (payments − refunds, per currency) is attributed when it is positive.`,
    `Usage counts between the first payment and ${r.stop_at_first_refund ? 'the first refund' : 'the cutoff'}, on always-available platforms`,
    `(${r.always_available.join(', ')}) or inside a connection window; one SMS segment counts as ${r.sms_seconds_per_segment} seconds.`,
    `Every amount is split exactly to 0.0001: the lines of a transaction sum to the transaction.`,
    ...d.books.map((book) => `- ${methodSentence(book, r)}`),
    `The chosen model for the main insights is ${title(d.chosen)}.`,
  ];
  const note = chosenNote(d);
  if (note) lines.push(`Note: ${note}`);
  if (d.learned) lines.push(learnedSentence(d.learned));
  return lines;
}

function recommendations(d: SummaryData): string[] {
  const currencies = [...new Set(d.books.flatMap((b) => (d.revenue.get(b) ?? []).map((r) => r.currency)))].sort();
  const winners = (book: string) => {
    const all = d.revenue.get(book) ?? [];
    const totals = currencyTotals(all);
    const perCurrency = currencies.map((currency) => {
      const top = sortChannelRevenue(all.filter((r) => !PSEUDO_CHANNELS.includes(r.channel) && r.currency === currency)).slice(0, 3);
      return `in ${currency}: ${top.length ? top.map((r) => `${r.channel} (${sharePct(r.revenueUnits, totals.get(currency)!)} %)`).join(', ') : 'no channel yet'}`;
    });
    return perCurrency.length ? perCurrency.join('; ') : 'no channel yet';
  };
  const out: string[] = [];
  if (d.books.includes('first_touch')) out.push(`1. Marketing & partnerships: focus acquisition on the first-touch winners — ${winners('first_touch')}.`);
  if (d.books.includes('usage_share')) out.push(`2. Product investment: invest where customers are most active — ${winners('usage_share')}.`);
  out.push(`3. Customer experience: the ${title(d.chosen).toLowerCase()} leaders influence both acquisition and retention — ${winners(d.chosen)}.`);
  const buckets = d.books.flatMap((book) => (d.revenue.get(book) ?? []).filter((r) => PSEUDO_CHANNELS.includes(r.channel)).map((r) => ({ book, r })));
  const bucketText = buckets.length
    ? buckets.map(({ book, r }) => `${r.channel} under ${book}: ${r.accounts} accounts, ${formatUnits(r.revenueUnits)} ${r.currency}`).join('; ')
    : 'both buckets are empty';
  out.push(`4. Data & operations: investigate the buckets — is it tracking or customers? ${bucketText}.`);
  return out;
}

function sumAmounts(amounts: ReadonlyArray<string>): string {
  return formatUnits(amounts.reduce((s, a) => s + parseAmountUnits(a), 0n));
}

/** The basis in words (docs/operations.md): what cutoff the decisions were made with. */
export function basisSentence(basis: string): string {
  if (basis === 'monthly') return 'monthly (each transaction decided in the run of its own UTC month, with data up to that month\'s end)';
  return `${basis} (a snapshot: every transaction decided with the data up to ${basis.slice('as_of:'.length)})`;
}
