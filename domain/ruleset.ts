import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BOOK_NAMES, BOOKS, RULE_MODELS, isBookName, type BookName, type ConfiguredBooks, type Rule } from './books';
import { bundlesSchema, type Bundles } from './bundles';
import { canonicalJson } from './canonicalJson';
import { RulesetError } from './errors';
import { compareStrings } from './order';
import { checkCondition } from './rules';
import { decimalParam, labelParam, strictMapping, unwrapYamlNumber } from './rulesetValues';
import { genericMessage, issueLines, parseTree, readYamlTree } from './rulesetYaml';

// The ruleset: the YAML file that configures every book (docs/rules-engine.md, docs/decisions.md). It is parsed strictly,
// every problem is reported at once with the key path that has it, and the effective ruleset
// (defaults applied, numbers as canonical decimal strings) is what the model version hashes, so
// that editing a value without bumping `version` still gives a new model version.

export { canonicalJson } from './canonicalJson';
export { RulesetError } from './errors';

export interface Ruleset {
  /** Human label of the ruleset; the first half of the model version. Never contains "#". */
  version: string;
  /** Decimal string: seconds of usage that one SMS segment counts for. */
  sms_seconds_per_segment: string;
  /** Platforms whose usage counts without a connection; trimmed, lower-case, sorted, distinct. */
  always_available: string[];
  stop_at_first_refund: boolean;
  /** Every configured book with its parameters, defaults filled in. Holds at least the default books. */
  books: ConfiguredBooks;
  /** The books a run computes when it is not told otherwise, in the order written. */
  default_books: BookName[];
  report: { chosen: BookName };
  /** Bundle definitions for pro_rata; absent when the ruleset has none (so older model versions keep their hash). */
  bundles?: Bundles;
}

export const DEFAULT_BOOKS: ReadonlyArray<BookName> = ['first_touch', 'usage_share', 'position_based'];
export const DEFAULT_CHOSEN_BOOK: BookName = 'position_based';

const bookName = z.enum(BOOK_NAMES as [BookName, ...BookName[]], {
  error: (issue) => `unknown book ${JSON.stringify(issue.input)} (known: ${BOOK_NAMES.join(', ')})`,
});

// A book's block may be left empty in YAML (`first_touch:`), which reads as null.
const booksSchema = strictMapping(
  Object.fromEntries(
    BOOK_NAMES.map((name) => [name, z.preprocess((v) => (v === null ? {} : v), BOOKS[name].params).optional()]),
  ),
  'book',
);

const channelNames = z.array(z.preprocess(unwrapYamlNumber, z.string()));
const channelList = z.preprocess(unwrapYamlNumber, channelNames).transform((names, ctx) => {
  const normalised = names.map((n) => n.trim().toLowerCase());
  normalised.forEach((n, i) => {
    if (n === '') ctx.issues.push({ code: 'custom', message: 'must not be empty', input: names[i], path: [i] });
  });
  return [...new Set(normalised)].sort(compareStrings);
});

const bookList = z.preprocess(unwrapYamlNumber, z.array(bookName)).superRefine((books, ctx) => {
  books.forEach((b, i) => {
    if (books.indexOf(b) !== i) ctx.addIssue({ code: 'custom', message: `${b} is listed twice`, path: [i] });
  });
});

const rulesetSchema = strictMapping({
  version: labelParam().superRefine((v, ctx) => {
    // "#" separates the version from the hash in the model version.
    if (v.includes('#')) ctx.addIssue({ code: 'custom', message: 'must not contain "#"' });
  }),
  sms_seconds_per_segment: decimalParam({ min: '0' }).default('5'),
  always_available: channelList.default(['mobile', 'web']),
  stop_at_first_refund: z.preprocess(unwrapYamlNumber, z.boolean()).default(true),
  books: booksSchema.default({}),
  default_books: bookList.default([...DEFAULT_BOOKS]),
  report: strictMapping({ chosen: bookName.default(DEFAULT_CHOSEN_BOOK) }).prefault({}),
  bundles: bundlesSchema.optional(),
}).superRefine((r, ctx) => {
  if (r.books.rules === undefined && (r.default_books.includes('rules') || r.report.chosen === 'rules')) {
    ctx.addIssue({ code: 'custom', path: ['books', 'rules'], message: 'is required: default_books or report.chosen use the rules book, which has no default rules' });
  }
  if (!r.default_books.includes(r.report.chosen)) {
    ctx.addIssue({
      code: 'custom',
      path: ['report', 'chosen'],
      message: `must be one of default_books (${r.default_books.join(', ')}), got ${r.report.chosen}`,
    });
  }
});

/** Parses and validates a ruleset; throws RulesetError listing every problem. */
export function parseRuleset(yamlText: string, sourceName: string): Ruleset {
  const tree = readYamlTree(yamlText, sourceName, 'a ruleset needs at least a version');
  const r = parseTree(rulesetSchema, tree, sourceName);
  const rules = r.books.rules === undefined ? undefined : resolveRules((r.books.rules as { rules: Rule[] }).rules, r.books);
  if (rules !== undefined && 'problems' in rules) throw new RulesetError(sourceName, rules.problems.sort(compareStrings));
  const learned = rules === undefined ? [] : learnedModelProblems(rules.resolved, r.books);
  if (learned.length > 0) throw new RulesetError(sourceName, learned);
  // Books a run will compute are configured with their defaults even when the file omits them, so
  // their parameters are part of the hash.
  const books: Record<string, unknown> = { ...r.books, ...(rules === undefined ? {} : { rules: { rules: rules.resolved } }) };
  for (const name of [...r.default_books, r.report.chosen]) {
    books[name] ??= BOOKS[name].params.parse({});
  }
  return {
    version: r.version,
    sms_seconds_per_segment: r.sms_seconds_per_segment,
    always_available: r.always_available,
    stop_at_first_refund: r.stop_at_first_refund,
    books: books as ConfiguredBooks,
    default_books: r.default_books,
    report: { chosen: r.report.chosen },
    ...(r.bundles === undefined || Object.keys(r.bundles).length === 0 ? {} : { bundles: r.bundles }),
  };
}

/**
 * Checks each rule of the `rules` book (its model is a book, its parameters are that book's, its
 * condition compiles) and resolves its parameters: given ones with the book's defaults filled in,
 * omitted ones from the ruleset's own block for that book, else the book's defaults.
 */
function resolveRules(rules: ReadonlyArray<Rule>, configured: Record<string, unknown>): { resolved: Rule[] } | { problems: string[] } {
  const problems: string[] = [];
  const resolved = rules.map((rule, i) => {
    const at = `books.rules.rules[${i}]`;
    const condition = checkCondition(rule.condition);
    if (!condition.ok) {
      const what = condition.overBudget ? '' : `does not compile${condition.at === null ? '' : ` at ${condition.at}`}: `;
      problems.push(`${at}.condition: ${what}${condition.reason} (rule "${rule.name}")`);
    }
    if (!isBookName(rule.model) || rule.model === 'rules') {
      problems.push(`${at}.model: unknown book ${JSON.stringify(rule.model)} for rule "${rule.name}" (a rule may pick: ${RULE_MODELS.join(', ')})`);
      return rule;
    }
    if (rule.parameters === undefined) return { ...rule, parameters: configured[rule.model] ?? BOOKS[rule.model].params.parse({}) };
    const parsed = BOOKS[rule.model].params.safeParse(rule.parameters === null ? {} : rule.parameters, { error: genericMessage });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        for (const line of issueLines([issue])) problems.push(`${at}.parameters${line.startsWith('document:') ? line.slice('document'.length) : `.${line}`}`);
      }
      return rule;
    }
    return { ...rule, parameters: parsed.data };
  });
  return problems.length > 0 ? { problems } : { resolved };
}

/**
 * The Markov chain and the Shapley coalitions are learned once per run, with the parameters of the
 * ruleset's own markov / shapley block: a rule that picks them with another order or max_channels
 * would silently get the block's model, so it is refused (docs/data-driven-books.md).
 */
function learnedModelProblems(rules: ReadonlyArray<Rule>, configured: Record<string, unknown>): string[] {
  const learning = [
    { book: 'markov', key: 'order' },
    { book: 'shapley', key: 'max_channels' },
  ] as const;
  const problems: string[] = [];
  rules.forEach((rule, i) => {
    for (const { book, key } of learning) {
      if (rule.model !== book) continue;
      const own = ((configured[book] ?? BOOKS[book].params.parse({})) as Record<string, unknown>)[key];
      const given = (rule.parameters as Record<string, unknown>)[key];
      if (given !== own) {
        problems.push(`books.rules.rules[${i}].parameters.${key}: must be ${String(own)}, the ${key} of books.${book} (the model is learned once per run), got ${String(given)} (rule "${rule.name}")`);
      }
    }
  });
  return problems;
}

/** `<version>#<first 8 hex of sha256 of the canonical JSON of the effective ruleset>` (docs/decisions.md, "Ledger and runs"). */
export function modelVersion(ruleset: Ruleset): string {
  const digest = createHash('sha256').update(canonicalJson(ruleset), 'utf8').digest('hex');
  return `${ruleset.version}#${digest.slice(0, 8)}`;
}
