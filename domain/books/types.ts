import type { z } from 'zod';
import type { ChannelWeight } from '../allocation';
import type { AccountContext } from '../context';

// The interface every book implements (SPEC §5): a parameter schema for its block in the ruleset
// and a pure function from an account's context to channel weights. Weights are relative: the
// allocation divides by their sum, so only their ratios matter.

export type Weights = ReadonlyArray<ChannelWeight>;

export interface BookDefinition<P> {
  /** Validates the book's block in the ruleset; must accept `{}` and fill in every default. */
  params: z.ZodType<P, unknown>;
  weights: (ctx: AccountContext, params: P) => Weights;
}
