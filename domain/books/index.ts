import type { z } from 'zod';
import type { AccountContext } from '../context';
import { InvalidInputError } from '../errors';
import { firstMatchingRule } from '../rules';
import type { Ruleset } from '../ruleset';
import type { TransactionFacts } from '../transaction';
import { firstTouch } from './firstTouch';
import { lastTouch } from './lastTouch';
import { linear } from './linear';
import { markov } from './markov';
import { positionBased } from './positionBased';
import { proRata } from './proRata';
import { rulesBook, type Rule } from './rules';
import { shapley } from './shapley';
import { timeDecay } from './timeDecay';
import { usageShare } from './usageShare';
import { weighted } from './weighted';
import type { BookDefinition, LearnedModels, Weights } from './types';

// The registry of books. Adding a book means adding its file and one line here: the ruleset
// schema, the list of known names in error messages and `bookWeights` all follow from this object.
export const BOOKS = {
  first_touch: firstTouch,
  last_touch: lastTouch,
  linear,
  position_based: positionBased,
  usage_share: usageShare,
  weighted,
  pro_rata: proRata,
  rules: rulesBook,
  time_decay: timeDecay,
  markov,
  shapley,
} as const;

export type BookName = keyof typeof BOOKS;
export type BookParams<B extends BookName> = z.output<(typeof BOOKS)[B]['params']>;
export type ConfiguredBooks = { [B in BookName]?: BookParams<B> };

export const BOOK_NAMES: ReadonlyArray<BookName> = (Object.keys(BOOKS) as BookName[]).sort();

/** The books a rule may pick: every book but `rules` itself. */
export const RULE_MODELS: ReadonlyArray<BookName> = BOOK_NAMES.filter((b) => b !== 'rules');

/** The books that learn a model from the run's journeys before any shard is weighed. */
export const DATA_DRIVEN_BOOKS = ['markov', 'shapley'] as const satisfies ReadonlyArray<BookName>;
export type DataDrivenBook = (typeof DATA_DRIVEN_BOOKS)[number];

/**
 * What a run has to learn before its shards are weighed: the Markov chain's order and the
 * Shapley coalitions' size, or null when none of the run's books (nor a rule of its `rules` book)
 * uses that model. Rules use the model of the ruleset's own block (the ruleset refuses a rule
 * whose order or max_channels differs).
 */
export interface LearningPlan {
  markovOrder: number | null;
  shapleyMaxChannels: number | null;
}

export function learningPlan(ruleset: Ruleset, books: ReadonlyArray<string>): LearningPlan {
  const ruleModels = books.includes('rules') ? (ruleset.books.rules?.rules ?? []).map((r) => r.model) : [];
  const uses = (book: DataDrivenBook) => books.includes(book) || ruleModels.includes(book);
  return {
    markovOrder: uses('markov') ? (ruleset.books.markov ?? BOOKS.markov.params.parse({})).order : null,
    shapleyMaxChannels: uses('shapley') ? (ruleset.books.shapley ?? BOOKS.shapley.params.parse({})).max_channels : null,
  };
}

export function isBookName(name: string): name is BookName {
  return Object.hasOwn(BOOKS, name);
}

/** A transaction's weights under a book, and the rule that chose them (`rules` book only). */
export type Weighing = { kind: 'weights'; weights: Weights; ruleName: string | null } | { kind: 'no_rule_matched' };

/** The weights of one transaction under one book with the given parameters. */
export function bookWeights<B extends BookName>(
  book: B, ctx: AccountContext, tx: TransactionFacts, params: BookParams<B>, ruleset: Ruleset, learned?: LearnedModels,
): Weights {
  // The registry is heterogeneous; the type parameter ties `params` to the book's own schema.
  const definition = BOOKS[book] as unknown as BookDefinition<BookParams<B>>;
  return definition.weights({ ctx, tx, params, ruleset, ...(learned === undefined ? {} : { learned }) });
}

/** How a book configured in the ruleset weighs one transaction of an account. */
export function weighTransaction(ruleset: Ruleset, book: BookName, ctx: AccountContext, tx: TransactionFacts, learned?: LearnedModels): Weighing {
  const params = ruleset.books[book];
  if (params === undefined) {
    const configured = Object.keys(ruleset.books).join(', ');
    throw new InvalidInputError(`book ${book} is not configured in ruleset ${ruleset.version} (configured: ${configured})`);
  }
  if (book !== 'rules') return { kind: 'weights', weights: bookWeights(book, ctx, tx, params as BookParams<typeof book>, ruleset, learned), ruleName: null };
  const rule = firstMatchingRule((params as { rules: Rule[] }).rules, ctx, tx);
  if (rule === undefined) return { kind: 'no_rule_matched' };
  const model = rule.model as Exclude<BookName, 'rules'>;
  return { kind: 'weights', weights: bookWeights(model, ctx, tx, rule.parameters as BookParams<typeof model>, ruleset, learned), ruleName: rule.name };
}

export type { BookDefinition, BookInput, LearnedModels, Weights } from './types';
export type { Rule } from './rules';
export { firstTouch, lastTouch, linear, markov, positionBased, proRata, shapley, timeDecay, usageShare, weighted };
