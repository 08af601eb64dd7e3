import { z } from 'zod';
import { InvariantError } from '../errors';
import { labelParam, strictMapping, unwrapYamlNumber, YamlNumber } from '../rulesetValues';
import type { BookDefinition } from './types';

// The `rules` book (docs/decisions.md, "Books and allocation"): the seed article's rule engine. This file holds the shape of its
// block; the ruleset checks each rule's model, parameters and CEL condition (it knows every book,
// domain/ruleset.ts), and weighTransaction (books/index.ts) picks the rule and weighs with its
// book. A rule whose `parameters` are omitted uses the ruleset's own block for that book, or the
// book's defaults; the effective ruleset stores them resolved, so they are part of the model version.

export interface Rule {
  name: string;
  priority: number;
  condition: string;
  model: string;
  /** Resolved by the ruleset: the model's parameters with its defaults filled in. */
  parameters: unknown;
}

const priority = z.unknown().transform((input, ctx): number => {
  const value = input instanceof YamlNumber ? input.value : input;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    ctx.issues.push({ code: 'custom', message: input === undefined ? 'is required' : 'must be a whole number (higher runs first)', input });
    return z.NEVER;
  }
  return value;
});

const rule = strictMapping({
  name: labelParam(),
  priority,
  condition: z
    .preprocess(unwrapYamlNumber, z.string({ error: 'must be a CEL expression in quotes' }))
    .transform((s) => s.trim())
    .refine((s) => s !== '', 'must not be empty (a rule that always applies says "true")'),
  model: z.preprocess(unwrapYamlNumber, z.string({ error: 'must name a book' })),
  parameters: z.unknown().optional(),
}, 'rule key');

export const rulesParams = strictMapping({
  rules: z.array(rule, { error: 'must be a list of rules' }).min(1, 'must hold at least one rule').superRefine((rules, ctx) => {
    rules.forEach((r, i) => {
      if (rules.findIndex((other) => other.name === r.name) !== i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${r.name}" is the name of an earlier rule; names must be unique (the ledger records them)` });
    });
  }),
});

export const rulesBook: BookDefinition<{ rules: Rule[] }> = {
  params: rulesParams as unknown as z.ZodType<{ rules: Rule[] }, unknown>,
  weights: () => {
    throw new InvariantError('the rules book picks another book per transaction: weigh it with weighTransaction');
  },
};
