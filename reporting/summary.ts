// analysis_summary.txt (SPEC §10): the KrispCall summary written from the data — method, counts,
// buckets, reconciliation, top channels per book, and the summary's four recommendations with
// this data's winners. Pure.
import { Decimal } from 'decimal.js';
import { PSEUDO_CHANNELS, NO_INTEGRATION_CHANNEL, NO_USAGE_CHANNEL } from '../domain/channels';
import { formatUnits, parseAmountUnits } from '../domain/money';
import type { Ruleset } from '../domain/ruleset';
import { currencyTotals, sharePct, sortChannelRevenue, type ChannelRevenue } from './attributionCsv';
import { learnedSentence, methodSentence, type LearnedSummary } from './methodSentences';
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
  modelVersion: string;
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

const BOOK_TITLES: Record<string, string> = {
  first_touch: 'First-touch',
  last_touch: 'Last-touch',
  linear: 'Linear',
  position_based: 'Position-based',
  usage_share: 'Usage-based',
  time_decay: 'Time decay',
  markov: 'Markov',
  shapley: 'Shapley',
};
const title = (book: string) => BOOK_TITLES[book] ?? book;

export function renderSummary(d: SummaryData): string {
  const out: string[] = [];
  const section = (name: string) => out.push('', name, '-'.repeat(name.length));
  out.push('Revenue attribution analysis — summary', '======================================');
  out.push(`Model version: ${d.modelVersion}`);
  out.push(`Period: ${d.periodFrom ?? 'all time'} to ${d.periodTo} (exclusive)${d.asOf ? `, data as of ${d.asOf}` : ''}`);
  if (d.runId) out.push(`Run: ${d.runId}`);

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
  ];
  for (const book of d.books) {
    if (book === 'first_touch') lines.push(`- First-touch: all credit to the first integration connected after the first payment; none → ${NO_INTEGRATION_CHANNEL}.`);
    else if (book === 'usage_share') lines.push(`- Usage-based: credit in proportion to each platform's calls + SMS usage; none → ${NO_USAGE_CHANNEL}.`);
    else if (book === 'position_based') {
      const p = r.books.position_based!;
      lines.push(`- Position-based: 1 platform → ${pct(p.single)}; 2 → first ${pct(p.two_first)}, last ${pct(p.two_last)}; more → first ${pct(p.first)}, last ${pct(p.last)}, the middle ones share ${pct(p.middle)}.`);
    } else if (book === 'weighted') {
      const w = r.books.weighted!.weights;
      lines.push(`- Weighted: each touchpoint weighs its own weight, else by type (${Object.entries(w).map(([t, v]) => `${t} ${v}`).join(', ')}); summed per channel; none → ${NO_INTEGRATION_CHANNEL}.`);
    } else if (book === 'pro_rata') {
      const bundles = Object.keys(r.bundles ?? {});
      lines.push(`- Pro rata: each product line weighs unit price × quantity${bundles.length > 0 ? `; bundles (${bundles.join(', ')}) split into their components by weight` : ''}.`);
    } else if (book === 'rules') {
      const rules = [...r.books.rules!.rules].sort((a, b) => b.priority - a.priority);
      lines.push(`- Rules, first match by priority: ${rules.map((x) => `"${x.name}" (${x.priority}) → ${x.model}`).join('; ')}; no match → excluded (no_rule_matched).`);
    } else lines.push(methodSentence(book, r) ?? `- ${title(book)}: see the ruleset.`);
  }
  if (d.learned) lines.push(learnedSentence(d.learned));
  lines.push(`The chosen model for the main insights is ${title(d.chosen)}.`);
  return lines;
}

function recommendations(d: SummaryData): string[] {
  const winners = (book: string) => {
    const rows = (d.revenue.get(book) ?? []).filter((r) => !PSEUDO_CHANNELS.includes(r.channel));
    const currency = mainCurrency(d.revenue.get(book) ?? []);
    const totals = currencyTotals(d.revenue.get(book) ?? []);
    const top = sortChannelRevenue(rows).filter((r) => r.currency === currency).slice(0, 3);
    return top.length ? top.map((r) => `${r.channel} (${sharePct(r.revenueUnits, totals.get(currency)!)} % of ${currency})`).join(', ') : 'no channel yet';
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

function mainCurrency(rows: ReadonlyArray<ChannelRevenue>): string {
  const totals = [...currencyTotals(rows)].sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : a[0] < b[0] ? -1 : 1));
  return totals[0]?.[0] ?? 'USD';
}

/** A ruleset share (`0.7`) as a percentage (`70 %`), exactly. */
const pct = (v: string) => `${new Decimal(v).mul(100).toString()} %`;

function sumAmounts(amounts: ReadonlyArray<string>): string {
  return formatUnits(amounts.reduce((s, a) => s + parseAmountUnits(a), 0n));
}
