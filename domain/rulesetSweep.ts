import { Decimal } from 'decimal.js';
import { isMap, parseDocument } from 'yaml';
import { RulesetError } from './errors';
import { parseRuleset, type Ruleset } from './ruleset';

// A sensitivity sweep of one numeric ruleset parameter (docs/reports.md, "Sensitivity"): the
// ruleset once per value, each checked like any ruleset. Pure.
//
// Decisions taken where the spec is silent:
// - A parameter is named by its key path in the effective ruleset (`sms_seconds_per_segment`,
//   `books.position_based.two_first`); `position_based.two_first` is short for the latter. Any
//   numeric leaf of a mapping can be swept; list items (rules, bundles) cannot.
// - Position weights must keep summing to 1, so sweeping one of them moves its partners:
//   two_first ↔ two_last take 1 − v; for first, last and middle the other two share 1 − v in
//   proportion to their values in the ruleset (equally when both are 0), the first of them
//   rounded to 12 decimals and the second taking the exact rest. `single` must be 1 and cannot be
//   swept. A value outside [0, 1] for a position weight is refused with the parameter's range.
// - Values are decimals with at most 15 significant digits (so that they pass through the YAML
//   number type unchanged); each is checked with the ruleset's own rules, and a value the ruleset
//   refuses stops the sweep with the ruleset's message.

export interface SweepVariant {
  value: string;
  ruleset: Ruleset;
  /** Other parameters the sweep moved to keep the ruleset valid (position weights), path → value. */
  moved: Record<string, string>;
}

const PARTNERS: Record<string, string[]> = {
  'books.position_based.two_first': ['books.position_based.two_last'],
  'books.position_based.two_last': ['books.position_based.two_first'],
  'books.position_based.first': ['books.position_based.last', 'books.position_based.middle'],
  'books.position_based.last': ['books.position_based.first', 'books.position_based.middle'],
  'books.position_based.middle': ['books.position_based.first', 'books.position_based.last'],
};

/** Every numeric parameter of an effective ruleset, by key path. */
export function numericParams(ruleset: Ruleset): string[] {
  const out: string[] = [];
  const walk = (node: unknown, at: string[]) => {
    if (typeof node === 'string' && at.length > 0 && /^-?\d+(\.\d+)?$/.test(node) && at[0] !== 'version') out.push(at.join('.'));
    else if (node && typeof node === 'object' && !Array.isArray(node)) for (const [k, v] of Object.entries(node)) walk(v, [...at, k]);
  };
  walk(ruleset, []);
  return out.sort();
}

export function resolveParamPath(ruleset: Ruleset, param: string): string {
  const known = numericParams(ruleset);
  const candidates = [param, `books.${param}`];
  const found = candidates.find((c) => known.includes(c));
  if (!found) throw new Error(`--param ${param}: not a numeric parameter of this ruleset; numeric parameters: ${known.join(', ')}.`);
  if (found === 'books.position_based.single') throw new Error('--param books.position_based.single: must be 1 (one channel gets everything), so it cannot be swept.');
  return found;
}

export function parseSweepValues(text: string): string[] {
  const values = text.split(',').map((v) => v.trim()).filter(Boolean);
  if (values.length === 0) throw new Error('--values: give at least one number, e.g. --values 0,5,10,30.');
  for (const v of values) {
    if (!/^-?\d+(\.\d+)?$/.test(v)) throw new Error(`--values: "${v}" is not a decimal number like 5 or 0.25.`);
    if (new Decimal(v).sd(true) > 15) throw new Error(`--values: "${v}" has more than 15 significant digits.`);
  }
  if (new Set(values.map((v) => new Decimal(v).toFixed())).size !== values.length) throw new Error('--values: a value is listed twice.');
  return values;
}

/** The ruleset once per value of the parameter (with its partners moved for position weights). */
export function sweepRulesets(yamlText: string, sourceName: string, param: string, values: ReadonlyArray<string>): { path: string; variants: SweepVariant[] } {
  const base = parseRuleset(yamlText, sourceName);
  const path = resolveParamPath(base, param);
  const variants = values.map((value) => {
    const moved = partnerValues(base, path, value);
    const doc = parseDocument(yamlText);
    if (!isMap(doc.contents)) throw new Error(`${sourceName}: not a mapping`);
    for (const [p, v] of [[path, value], ...Object.entries(moved)] as Array<[string, string]>) doc.setIn(p.split('.'), Number(v));
    try {
      return { value, ruleset: parseRuleset(doc.toString(), `${sourceName} with ${path} = ${value}`), moved };
    } catch (error) {
      if (error instanceof RulesetError) throw new Error(`--values ${value}: ${error.message}`);
      throw error;
    }
  });
  return { path, variants };
}

function partnerValues(base: Ruleset, path: string, value: string): Record<string, string> {
  const partners = PARTNERS[path];
  if (!partners) return {};
  const v = new Decimal(value);
  if (v.lt(0) || v.gt(1)) throw new Error(`--values ${value}: ${path} is a share of the credit and must be between 0 and 1.`);
  const rest = new Decimal(1).minus(v);
  if (partners.length === 1) return { [partners[0]!]: rest.toFixed() };
  const current = partners.map((p) => new Decimal(valueAt(base, p)));
  const sum = current[0]!.plus(current[1]!);
  const first = (sum.isZero() ? rest.div(2) : rest.mul(current[0]!).div(sum)).toDecimalPlaces(12, Decimal.ROUND_HALF_EVEN);
  return { [partners[0]!]: first.toFixed(), [partners[1]!]: rest.minus(first).toFixed() };
}

function valueAt(ruleset: Ruleset, path: string): string {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], ruleset) as string;
}
