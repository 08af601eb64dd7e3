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
  last_touch: () => `Last-touch: all credit to the last integration connected in the active period; none → ${NO_INTEGRATION_CHANNEL}.`,
  linear: () => `Linear: equal credit to every distinct integration connected in the active period; none → ${NO_INTEGRATION_CHANNEL}.`,
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
  // The data-driven books read their parameters loosely: a parameter the book does not have yet shows its documented default.
  time_decay: (r) => `Time decay: each touch weighs 2^(−Δ / ${String(paramsOf(r, 'time_decay').half_life_days ?? 7)} days), Δ = transaction time − touch time; summed per channel.`,
  markov: (r) => `Markov chain: each channel on the path weighs its removal effect in an absorbing Markov chain of order ${String(paramsOf(r, 'markov').order ?? 1)} over the run's journeys; all zero → linear.`,
  shapley: (r) => `Shapley value: each channel weighs its Shapley value over the coalitions of the run's journeys (at most ${String(paramsOf(r, 'shapley').max_channels ?? 12)} channels); negative values count as 0, all zero → linear.`,
};

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
