// The summary's method sentence for the path books added with the data-driven ones (last-touch,
// linear, time decay, Markov, Shapley), one per book, and the line that says what the
// data-driven books learned from. Pure.
import { NO_INTEGRATION_CHANNEL } from '../domain/channels';
import type { Ruleset } from '../domain/ruleset';

export interface LearnedSummary {
  journeys: number;
  converting: number;
  withoutChannels: number;
  /** Journeys from the optional stream of non-converting journeys. */
  streamed: number;
  markovOrder: number | null;
  shapleyMaxChannels: number | null;
  /** P(conversion) of the chain, "n/d". */
  conversionProbability: string | null;
}

const lookback = (days: string | undefined) => (days === undefined ? '' : `; touches more than ${days} days before the transaction are left out`);

const SENTENCES: Record<string, (r: Ruleset) => string> = {
  last_touch: (r) => `- Last-touch: all credit to the channel of the last touch${lookback(r.books.last_touch?.lookback_days)}; none → ${NO_INTEGRATION_CHANNEL}.`,
  linear: (r) => `- Linear: equal credit to each distinct channel of the path${lookback(r.books.linear?.lookback_days)}; none → ${NO_INTEGRATION_CHANNEL}.`,
  time_decay: (r) => `- Time decay: each touch weighs 2^(−days from the transaction / ${r.books.time_decay?.half_life_days ?? '7'}), summed per channel${lookback(r.books.time_decay?.lookback_days)}; none → ${NO_INTEGRATION_CHANNEL}.`,
  markov: (r) => `- Markov (order ${r.books.markov?.order ?? 1}): each channel of the path weighs its removal effect in the chain learned from the run's journeys (markov_removal_effects.csv); all zero → equal split${lookback(r.books.markov?.lookback_days)}.`,
  shapley: (r) => `- Shapley: the path's channels (the first ${r.books.shapley?.max_channels ?? 12}) share by their Shapley values in the game whose value is each exact coalition's conversion rate (shapley_values.csv); negative → 0, all zero → equal split${lookback(r.books.shapley?.lookback_days)}.`,
};

/** The method sentence of a book, or undefined when the summary writes its own. */
export function methodSentence(book: string, ruleset: Ruleset): string | undefined {
  return SENTENCES[book]?.(ruleset);
}

/** What the data-driven books learned from, and the warning when no journey failed to convert. */
export function learnedSentence(l: LearnedSummary): string {
  const nonConverting = l.journeys - l.converting;
  const base = `The data-driven books learned from ${l.journeys} journeys: ${l.converting} converting, ${nonConverting} not`
    + `${l.streamed > 0 ? ` (${l.streamed} from the non-converting journey stream)` : ''}; ${l.withoutChannels} without a channel take no part.`;
  if (nonConverting === 0) return `${base} Every journey converts (the data holds no non-converting journey), so removal effects and Shapley values only tell how often channels occur.`;
  return base;
}
