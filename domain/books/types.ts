import type { z } from 'zod';
import type { ChannelWeight } from '../allocation';
import type { AccountContext } from '../context';
import type { Ruleset } from '../ruleset';
import type { TransactionFacts } from '../transaction';

// The interface every book implements (SPEC §5): a parameter schema for its block in the ruleset
// and a pure function from a transaction and its account's context to channel weights. Weights
// are relative: the allocation divides by their sum, so only their ratios matter.

export type Weights = ReadonlyArray<ChannelWeight>;

export interface BookInput<P> {
  ctx: AccountContext;
  tx: TransactionFacts;
  params: P;
  /** The whole ruleset, for what books share (the bundles of pro_rata). */
  ruleset: Ruleset;
}

export interface BookDefinition<P> {
  /** Validates the book's block in the ruleset; must accept `{}` and fill in every default. */
  params: z.ZodType<P, unknown>;
  weights: (input: BookInput<P>) => Weights;
}
