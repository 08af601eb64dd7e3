// The method of each book in plain words, for the summary and the HTML report. Data-driven: one
// entry per book name; a book without an entry (a book added later) gets a generic sentence that
// names it and points at its parameters in the ruleset, so every book that was run has a sentence.
import { Decimal } from 'decimal.js';
import { NO_INTEGRATION_CHANNEL, NO_USAGE_CHANNEL } from '../domain/channels';
import type { Ruleset } from '../domain/ruleset';

/** The whole sentence, starting with the book's title. */
type MethodSentence = (ruleset: Ruleset) => string;

/** A ruleset share (`0.7`) as a percentage (`70 %`), exactly. */
export const pct = (v: string) => `${new Decimal(v).mul(100).toString()} %`;

const BOOK_TITLES: Record<string, string> = {
  first_touch: 'First-touch',
  last_touch: 'Last-touch',
  linear: 'Linear',
  position_based: 'Position-based',
  usage_share: 'Usage-based',
  weighted: 'Weighted',
  pro_rata: 'Pro rata',
  rules: 'Rules',
  time_decay: 'Time decay',
  markov: 'Markov chain',
  shapley: 'Shapley value',
};

export function bookTitle(book: string): string {
  return BOOK_TITLES[book] ?? book.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

const METHODS: Record<string, MethodSentence> = {
  first_touch: () => `First-touch: all credit to the first integration connected after the first payment; none → ${NO_INTEGRATION_CHANNEL}.`,
  usage_share: (r) => `Usage-based: credit in proportion to each platform's usage units (call seconds + SMS segments × ${r.sms_seconds_per_segment}); none → ${NO_USAGE_CHANNEL}.`,
  position_based: (r) => {
    const p = r.books.position_based!;
    return `Position-based: 1 platform → ${pct(p.single)}; 2 → first ${pct(p.two_first)}, last ${pct(p.two_last)}; more → first ${pct(p.first)}, last ${pct(p.last)}, the middle ones share ${pct(p.middle)}.`;
  },
  weighted: (r) => {
    const w = r.books.weighted!.weights;
    return `Weighted: each touchpoint weighs its own weight, else by type (${Object.entries(w).map(([t, v]) => `${t} ${v}`).join(', ')}); summed per channel; none → ${NO_INTEGRATION_CHANNEL}.`;
  },
  pro_rata: (r) => {
    const bundles = Object.keys(r.bundles ?? {});
    return `Pro rata: each product line weighs unit price × quantity${bundles.length > 0 ? `; bundles (${bundles.join(', ')}) split into their components by weight` : ''}.`;
  },
  rules: (r) => {
    const rules = [...r.books.rules!.rules].sort((a, b) => b.priority - a.priority);
    return `Rules, first match by priority: ${rules.map((x) => `"${x.name}" (${x.priority}) → ${x.model}`).join('; ')}; no match → excluded (no_rule_matched).`;
  },
  // The path books added with the data-driven ones; their parameters are read loosely (a default shows when unset).
  last_touch: (r) => `Last-touch: all credit to the channel of the last touch${lookback(r, 'last_touch')}; none → ${NO_INTEGRATION_CHANNEL}.`,
  linear: (r) => `Linear: equal credit to each distinct channel of the path${lookback(r, 'linear')}; none → ${NO_INTEGRATION_CHANNEL}.`,
  time_decay: (r) => `Time decay: each touch weighs 2^(−days from the transaction / ${String(paramsOf(r, 'time_decay').half_life_days ?? 7)}), summed per channel${lookback(r, 'time_decay')}; none → ${NO_INTEGRATION_CHANNEL}.`,
  markov: (r) => `Markov (order ${String(paramsOf(r, 'markov').order ?? 1)}): each channel of the path weighs its removal effect in the chain learned from the run's journeys (markov_removal_effects.csv); all zero → equal split${lookback(r, 'markov')}.`,
  shapley: (r) => `Shapley: the path's channels (the first ${String(paramsOf(r, 'shapley').max_channels ?? 12)}) share by their Shapley values in the game whose value is each exact coalition's conversion rate (shapley_values.csv); negative → 0, all zero → equal split${lookback(r, 'shapley')}.`,
};

/** `; touches more than N days before the transaction are left out` when the book has lookback_days. */
function lookback(ruleset: Ruleset, book: string): string {
  const days = paramsOf(ruleset, book).lookback_days;
  return days === undefined ? '' : `; touches more than ${String(days)} days before the transaction are left out`;
}

function paramsOf(ruleset: Ruleset, book: string): Record<string, unknown> {
  const params = (ruleset.books as Record<string, unknown>)[book];
  return params && typeof params === 'object' ? (params as Record<string, unknown>) : {};
}

/** "Position-based: 1 platform → 100 %; …" — one sentence for any book name. */
export function methodSentence(book: string, ruleset: Ruleset): string {
  const method = METHODS[book];
  const configured = (ruleset.books as Record<string, unknown>)[book];
  if (method && configured !== undefined) return method(ruleset);
  const params = configured && typeof configured === 'object' && Object.keys(configured).length > 0
    ? ` with the parameters ${JSON.stringify(configured)}`
    : '';
  return `${bookTitle(book)} (${book}): weights as the book defines them${params}, split exactly per transaction.`;
}
