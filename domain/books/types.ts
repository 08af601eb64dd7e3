import type { z } from 'zod';
import type { Decimal } from 'decimal.js';
import type { ChannelWeight } from '../allocation';
import type { AccountContext } from '../context';
import type { Ruleset } from '../ruleset';
import type { CharacteristicFunction } from '../shapley';
import type { TransactionFacts } from '../transaction';

// The interface every book implements (docs/decisions.md, "Books and allocation"): a parameter schema for its block in the ruleset
// and a pure function from a transaction and its account's context to channel weights. Weights
// are relative: the allocation divides by their sum, so only their ratios matter.

export type Weights = ReadonlyArray<ChannelWeight>;

export interface BookInput<P> {
  ctx: AccountContext;
  tx: TransactionFacts;
  params: P;
  /** The whole ruleset, for what books share (the bundles of pro_rata). */
  ruleset: Ruleset;
  /** What the data-driven books learned from the run's journeys (absent for rule-based runs). */
  learned?: LearnedModels;
}

/**
 * The per-run models of the data-driven books, learned once per run from every journey
 * (docs/data-driven-books.md) and read back by each shard, so every shard weighs with the same
 * numbers.
 */
export interface LearnedModels {
  /** markov: each channel's removal effect, as the fixed decimal stored with the run. */
  removalEffects?: ReadonlyMap<string, Decimal>;
  /** shapley: v(T) of every observed coalition. */
  coalitionValues?: CharacteristicFunction;
}

export interface BookDefinition<P> {
  /** Validates the book's block in the ruleset; must accept `{}` and fill in every default. */
  params: z.ZodType<P, unknown>;
  weights: (input: BookInput<P>) => Weights;
}
