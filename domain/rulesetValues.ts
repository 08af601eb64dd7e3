import { z } from 'zod';
import { ExactDecimal } from './exactDecimal';

// Building blocks shared by the ruleset schema and the parameter schemas of the books. They live
// apart from ruleset.ts so that each book can declare its own parameters next to its code.

/**
 * A number scalar from the YAML file, kept with its source text. YAML numbers become JS floats when
 * parsed, so 0.1 would only be 0.1 by luck of printing; reading the source text keeps parameters
 * exact ("0.1" stays "0.1", "1.10" is not confused with "1.1" in a version).
 */
export class YamlNumber {
  constructor(
    readonly source: string,
    readonly value: number,
  ) {}
}

/**
 * A strict mapping: unknown keys are errors that list the keys this mapping knows. A YamlNumber is
 * an object to zod, so it is unwrapped first to be rejected as "must be a mapping".
 */
export function strictMapping<S extends z.ZodRawShape>(shape: S, keyKind = 'key') {
  const known = Object.keys(shape).sort().join(', ');
  const mapping = z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown ${keyKind} (known: ${known === '' ? 'none' : known})`;
      if (issue.code === 'invalid_type') return 'must be a mapping';
      return undefined;
    },
  });
  return z.preprocess(unwrapYamlNumber, mapping);
}

/** Turns a YamlNumber back into its number so that non-numeric schemas report the wrong type. */
export function unwrapYamlNumber(input: unknown): unknown {
  return input instanceof YamlNumber ? input.value : input;
}

/** The exact decimal text of a YAML or JS number, or the problem with it. */
function numberText(input: unknown): { text: string } | { problem: string } {
  if (input === undefined) return { problem: 'is required' };
  let candidate: string;
  if (input instanceof YamlNumber) {
    if (!Number.isFinite(input.value)) return { problem: 'must be a finite number' };
    candidate = input.source;
  } else if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { problem: 'must be a finite number' };
    candidate = String(input);
  } else {
    return { problem: 'must be a number' };
  }
  let value: InstanceType<typeof ExactDecimal>;
  try {
    value = new ExactDecimal(candidate);
  } catch {
    // YAML spellings that decimal.js does not read (there are few); the float is exact for them.
    value = new ExactDecimal(input instanceof YamlNumber ? input.value : candidate);
  }
  // toFixed() writes plain notation without trailing zeros, so 0.40 and 0.4 hash the same.
  return { text: value.isZero() ? '0' : value.toFixed() };
}

/**
 * A numeric parameter, stored as a canonical decimal string so that it can be hashed into the
 * model version and turned into a Decimal without going through a float.
 */
export function decimalParam(range: { min: string; max?: string }) {
  return z.unknown().transform((input, ctx): string => {
    const parsed = numberText(input);
    if ('problem' in parsed) {
      ctx.issues.push({ code: 'custom', message: parsed.problem, input });
      return z.NEVER;
    }
    const value = new ExactDecimal(parsed.text);
    const { min, max } = range;
    if (value.lt(min) || (max !== undefined && value.gt(max))) {
      const message = max === undefined ? `must be >= ${min}` : `must be between ${min} and ${max}`;
      ctx.issues.push({ code: 'custom', message: `${message} (got ${parsed.text})`, input });
      return z.NEVER;
    }
    return parsed.text;
  });
}

/** A free-form label such as a version: a string, or a YAML number read as its source text. */
export function labelParam() {
  return z.unknown().transform((input, ctx): string => {
    const text = input instanceof YamlNumber ? input.source : typeof input === 'string' ? input.trim() : undefined;
    if (text === undefined || text === '') {
      const message = input === undefined ? 'is required' : text === '' ? 'must not be empty' : 'must be a string';
      ctx.issues.push({ code: 'custom', message, input });
      return z.NEVER;
    }
    return text;
  });
}

/** A book with no parameters: its block may be empty (`first_touch:` or `first_touch: {}`). */
export const noParams = z.preprocess(
  unwrapYamlNumber,
  z.strictObject(
    {},
    {
      error: (issue) => {
        if (issue.code === 'unrecognized_keys') return 'unknown key (this book takes no parameters)';
        if (issue.code === 'invalid_type') return 'must be a mapping (or empty)';
        return undefined;
      },
    },
  ),
);
