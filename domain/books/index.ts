import type { z } from 'zod';
import type { AccountContext } from '../context';
import { InvalidInputError } from '../errors';
import type { Ruleset } from '../ruleset';
import { firstTouch } from './firstTouch';
import { lastTouch } from './lastTouch';
import { linear } from './linear';
import { positionBased } from './positionBased';
import { usageShare } from './usageShare';
import type { BookDefinition, Weights } from './types';

// The registry of books. Adding a book means adding its file and one line here: the ruleset
// schema, the list of known names in error messages and `bookWeights` all follow from this object.
export const BOOKS = {
  first_touch: firstTouch,
  last_touch: lastTouch,
  linear,
  position_based: positionBased,
  usage_share: usageShare,
} as const;

export type BookName = keyof typeof BOOKS;
export type BookParams<B extends BookName> = z.output<(typeof BOOKS)[B]['params']>;
export type ConfiguredBooks = { [B in BookName]?: BookParams<B> };

export const BOOK_NAMES: ReadonlyArray<BookName> = (Object.keys(BOOKS) as BookName[]).sort();

export function isBookName(name: string): name is BookName {
  return Object.hasOwn(BOOKS, name);
}

/** The weights of one account under one book with the given parameters. */
export function bookWeights<B extends BookName>(book: B, ctx: AccountContext, params: BookParams<B>): Weights {
  // The registry is heterogeneous; the type parameter ties `params` to the book's own schema.
  const definition = BOOKS[book] as unknown as BookDefinition<BookParams<B>>;
  return definition.weights(ctx, params);
}

/** The weights of one account under a book configured in the ruleset. */
export function rulesetBookWeights(ruleset: Ruleset, book: BookName, ctx: AccountContext): Weights {
  const params = ruleset.books[book];
  if (params === undefined) {
    const configured = Object.keys(ruleset.books).join(', ');
    throw new InvalidInputError(`book ${book} is not configured in ruleset ${ruleset.version} (configured: ${configured})`);
  }
  return bookWeights(book, ctx, params);
}

export type { BookDefinition, Weights } from './types';
export { firstTouch, lastTouch, linear, positionBased, usageShare };
