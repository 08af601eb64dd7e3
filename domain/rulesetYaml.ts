import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { RulesetError } from './errors';
import { compareStrings } from './order';
import { YamlNumber } from './rulesetValues';

// Reading a YAML configuration file (a ruleset, a standalone bundles file) into plain values that a
// zod schema checks, and wording the schema's issues as `key.path: problem` lines. Shared so that
// every configuration file reports its problems the same way.

/**
 * How many alias expansions a configuration file may make: the `yaml` library's guard against an
 * alias bomb (a few lines that expand to billions of nodes), with its default budget made explicit.
 */
export const YAML_MAX_ALIAS_COUNT = 100;

/**
 * The YAML text as plain values, numbers kept as YamlNumber (with their source text) so that
 * parameters never pass through a float. Throws RulesetError for invalid YAML or an empty file.
 */
export function readYamlTree(yamlText: string, sourceName: string, whenEmpty: string): unknown {
  const doc = parseDocument(yamlText, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new RulesetError(sourceName, doc.errors.map((e) => `invalid YAML: ${(e.message.split('\n')[0] ?? '').replace(/:$/, '')}`));
  }
  if (doc.contents === null) throw new RulesetError(sourceName, [`document: is empty (${whenEmpty})`]);
  try {
    // The library's own conversion counts alias expansions against the budget and stops early;
    // toPlain below expands aliases itself, so it only runs once this check has passed.
    doc.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    throw new RulesetError(sourceName, [
      `document: its aliases (*name) expand to too much (more than ${YAML_MAX_ALIAS_COUNT} alias expansions); write the values out or use fewer aliases`,
    ]);
  }
  return toPlain(doc.contents, doc);
}

/** Checks a tree with a schema; throws RulesetError listing every problem, sorted by key path. */
export function parseTree<T>(schema: z.ZodType<T, unknown>, tree: unknown, sourceName: string): T {
  const parsed = schema.safeParse(tree, { error: genericMessage });
  if (parsed.success) return parsed.data;
  // Sorted by key path so that the problems of one block read together.
  throw new RulesetError(sourceName, issueLines(parsed.error.issues).sort(compareStrings));
}

function toPlain(node: unknown, doc: Document): unknown {
  if (isAlias(node)) return toPlain(node.resolve(doc), doc);
  if (isScalar(node)) {
    return typeof node.value === 'number' ? new YamlNumber(node.source ?? String(node.value), node.value) : node.value;
  }
  if (isSeq(node)) return node.items.map((item) => toPlain(item, doc));
  if (isMap(node)) {
    const result: Record<string, unknown> = {};
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? (pair.key.source ?? String(pair.key.value)) : String(pair.key);
      result[key] = toPlain(pair.value, doc);
    }
    return result;
  }
  return node ?? null;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  number: 'a number',
};

/** Messages for the issues that no schema words itself (missing keys, wrong types). */
export function genericMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'is required';
    return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
  }
  return undefined;
}

/** One `key.path: message` line per problem; an issue without a path is about the whole document. */
export function issueLines(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${formatPath([...issue.path, key])}: ${issue.message}`);
    const path = formatPath(issue.path);
    return [`${path === '' ? 'document' : path}: ${issue.message}`];
  });
}

/** books.position_based.first, default_books[1], bundles." " (keys that are not plain words are quoted) */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((part, i) => {
      if (typeof part === 'number') return `[${part}]`;
      const key = String(part);
      return `${i === 0 ? '' : '.'}${/^[\w-]+$/.test(key) ? key : JSON.stringify(key)}`;
    })
    .join('');
}
