// The multi-product event shape (docs/decisions.md, "Events"): one `AttributionEvent` of the seed article per NDJSON
// line, plus `refundOf` on refunds. Pure: validates one parsed line and returns the canonical
// event (amounts as decimal text, instants as UTC text, product ids trimmed and lower-cased) or
// every problem with its column (a JSON path such as `products[1].unitPrice`).
//
// Decisions taken where the spec is silent (docs/decisions.md, "Events"):
// - Ids are non-empty strings of at most 200 characters, not necessarily UUIDs: the seed's own
//   configuration names a bundle `ent-bundle-v2`.
// - Unknown keys are errors (a misspelt `refund_of` must not turn a refund cascade into an account
//   split); `metadata` is free-form.
// - Money and quantities are JSON numbers or decimal strings. A number is read from its shortest
//   round-trip text, so it must have at most 15 significant digits; longer ones must be strings.
//   grossAmount > 0 with at most 4 decimals; quantity, unitPrice >= 0 with at most 6 decimals;
//   touchpoint weight in [0, 1].
// - `source: refund` makes the event a refund; `refundOf` is allowed on refunds only and may be
//   absent (the refund is then split by the account's weights, docs/decisions.md, "Decisions").
import { z } from 'zod';
import { EVENT_SOURCES, INTERACTION_TYPES, type EventSource, type InteractionType } from '../domain/transaction';
import { parseAmount, parseCurrency, parseId, parseTimestamp, type FieldResult } from './fields';

export interface CanonicalProduct {
  productId: string;
  quantity: string;
  unitPrice: string;
  metadata: Record<string, unknown> | null;
}

export interface CanonicalTouchpoint {
  productId: string;
  interactionType: InteractionType;
  /** UTC instant text */
  timestamp: string;
  weight: string | null;
}

export interface CanonicalEvent {
  transactionId: string;
  kind: 'payment' | 'refund';
  /** UTC instant text */
  timestamp: string;
  customerId: string;
  /** Positive, 4 decimals. For a refund: the amount refunded. */
  grossAmount: string;
  currency: string;
  source: EventSource;
  bundleId: string | null;
  refundOf: string | null;
  products: CanonicalProduct[];
  touchpoints: CanonicalTouchpoint[];
}

export interface EventProblem {
  column: string;
  value: string | undefined;
  reason: string;
}

export type EventParseResult = { ok: true; event: CanonicalEvent } | { ok: false; problems: EventProblem[] };

/** "is required" for a missing field, else the type the field must have. */
const typeError = (expected: string) => (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : `must be ${expected}`);

/** A zod refinement from one of the CSV field parsers: the same rules and messages for both shapes. */
function field(parse: (raw: string) => FieldResult) {
  return z.string({ error: typeError('a string') }).transform((raw, ctx) => {
    const result = parse(raw);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.reason, input: raw });
    return z.NEVER;
  });
}

/** Products and touchpoints per event (docs/decisions.md, "Input"): a bound on what one line may make the engine do. */
export const MAX_LIST_ITEMS = 1000;

/** How deep free-form metadata may nest: deeper JSON would overflow the stack of every later step. */
export const MAX_METADATA_DEPTH = 32;

/** The nesting depth of a parsed JSON value, found without recursion (the value may be 100,000 deep). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_METADATA_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export const id = field(parseId);
// Events carry no dataset.yaml: an instant without an offset cannot be given a time zone.
const instant = field((raw) => {
  const result = parseTimestamp(raw, undefined);
  return result.ok || !/no UTC offset/.test(result.reason) ? result : { ok: false, reason: 'has no UTC offset; write it with one, like 2024-01-05T10:00:00Z' };
});
const channelId = field((raw) => {
  const result = parseId(raw);
  return result.ok ? { ok: true, value: result.value.toLowerCase() } : result;
});

/** A JSON number or a decimal string, as exact decimal text. */
function decimalText(options: { maxDecimals: number; max?: string }) {
  return z
    .union([z.number(), z.string()], { error: typeError('a number or a decimal string') })
    .transform((raw, ctx) => {
      const text = typeof raw === 'number' ? numberText(raw) : raw.trim();
      if (text === undefined) {
        ctx.addIssue({ code: 'custom', message: 'has more than 15 significant digits; send it as a decimal string', input: raw });
        return z.NEVER;
      }
      const match = /^(\d{1,14})(?:\.(\d+))?$/.exec(text);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: 'must be a decimal number >= 0 like 12.5', input: raw });
        return z.NEVER;
      }
      const decimals = (match[2] ?? '').replace(/0+$/, '');
      if (decimals.length > options.maxDecimals) {
        ctx.addIssue({ code: 'custom', message: `has more than ${options.maxDecimals} decimal places`, input: raw });
        return z.NEVER;
      }
      const normalised = decimals ? `${BigInt(match[1]!)}.${decimals}` : `${BigInt(match[1]!)}`;
      if (options.max !== undefined && Number(normalised) > Number(options.max)) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${options.max}`, input: raw });
        return z.NEVER;
      }
      return normalised;
    });
}

/** The shortest text that reads back as this number; undefined when that text may not be what was sent. */
function numberText(n: number): string | undefined {
  if (!Number.isFinite(n)) return undefined;
  const text = String(n);
  if (/e/i.test(text)) return undefined; // 1e21 or 1e-7: beyond the digits an amount may have
  const significant = text.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  return significant.length > 15 ? undefined : text;
}

const grossAmount = z
  .union([z.number(), z.string()], { error: typeError('a number or a decimal string') })
  .transform((raw, ctx) => {
    const text = typeof raw === 'number' ? numberText(raw) : raw;
    const result = text === undefined ? { ok: false as const, reason: 'has more than 15 significant digits; send it as a decimal string' } : parseAmount(text);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.reason, input: raw });
    return z.NEVER;
  });

const productSchema = z.strictObject({
  productId: channelId,
  quantity: decimalText({ maxDecimals: 6 }),
  unitPrice: decimalText({ maxDecimals: 6 }),
  metadata: z.record(z.string(), z.unknown(), { error: typeError('an object') })
    .refine((m) => depthOf(m) <= MAX_METADATA_DEPTH, `is nested more than ${MAX_METADATA_DEPTH} levels deep; flatten it`)
    .optional(),
});

export const touchpointSchema = z.strictObject({
  productId: channelId,
  interactionType: z.enum(INTERACTION_TYPES, { error: typeError(`one of ${INTERACTION_TYPES.join(', ')}`) }),
  timestamp: instant,
  weight: decimalText({ maxDecimals: 6, max: '1' }).optional(),
});

const eventSchema = z
  .strictObject({
    transactionId: id,
    timestamp: instant,
    customerId: id,
    grossAmount,
    currency: field((raw) => parseCurrency(raw, undefined)),
    products: z.array(productSchema, { error: typeError('a list') }).max(MAX_LIST_ITEMS, `may have at most ${MAX_LIST_ITEMS} products`),
    touchpoints: z.array(touchpointSchema, { error: typeError('a list') }).max(MAX_LIST_ITEMS, `may have at most ${MAX_LIST_ITEMS} touchpoints`).default([]),
    bundleId: channelId.optional(),
    source: z.enum(EVENT_SOURCES, { error: typeError(`one of ${EVENT_SOURCES.join(', ')}`) }),
    refundOf: id.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.refundOf !== undefined && e.source !== 'refund') {
      ctx.addIssue({ code: 'custom', path: ['refundOf'], input: e.refundOf, message: `is only allowed on refunds (source "refund"), this event's source is "${e.source}"` });
    }
    if (e.refundOf !== undefined && e.refundOf === e.transactionId) {
      ctx.addIssue({ code: 'custom', path: ['refundOf'], input: e.refundOf, message: 'names the refund itself' });
    }
  });

/** Validates one parsed NDJSON line. */
export function parseEvent(value: unknown): EventParseResult {
  const parsed = eventSchema.safeParse(value, { error: genericMessage, reportInput: true });
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.flatMap((issue) => describeIssue(issue)) };
  }
  const e = parsed.data;
  return {
    ok: true,
    event: {
      transactionId: e.transactionId,
      kind: e.source === 'refund' ? 'refund' : 'payment',
      timestamp: e.timestamp,
      customerId: e.customerId,
      grossAmount: e.grossAmount,
      currency: e.currency,
      source: e.source,
      bundleId: e.bundleId ?? null,
      refundOf: e.refundOf ?? null,
      products: e.products.map((p) => ({ productId: p.productId, quantity: p.quantity, unitPrice: p.unitPrice, metadata: p.metadata ?? null })),
      touchpoints: e.touchpoints.map((t) => ({ productId: t.productId, interactionType: t.interactionType, timestamp: t.timestamp, weight: t.weight ?? null })),
    },
  };
}

/** Parses and validates one NDJSON line (text without its newline). */
export function parseEventLine(text: string): EventParseResult {
  const line = parseObjectLine(text);
  return line.ok ? parseEvent(line.value) : line;
}

/**
 * One NDJSON line as a JSON object, or why it is not one: the checks every line shape shares
 * (events, the journey stream) before its own schema.
 */
export function parseObjectLine(text: string): { ok: true; value: object } | { ok: false; problems: EventProblem[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [{ column: '(line)', value: undefined, reason: `is not valid JSON: ${(error as Error).message}` }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, problems: [{ column: '(line)', value: undefined, reason: 'must be one JSON object per line' }] };
  }
  if (hasLoneSurrogate(value)) {
    // JSON may escape half of a UTF-16 pair (\ud800); stored as UTF-8 it would silently become U+FFFD.
    return { ok: false, problems: [{ column: '(line)', value: undefined, reason: 'holds an unpaired UTF-16 surrogate escape (like \\ud800); send whole characters' }] };
  }
  return { ok: true, value };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether any string (or key) of a parsed JSON value holds half a surrogate pair; without recursion. */
function hasLoneSurrogate(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (LONE_SURROGATE.test(v)) return true;
    } else if (typeof v === 'object' && v !== null) {
      for (const [key, child] of Object.entries(v)) {
        if (LONE_SURROGATE.test(key)) return true;
        stack.push(child);
      }
    }
  }
  return false;
}

export function genericMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type') return `must be ${issue.expected === 'object' ? 'an object' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}`;
  return undefined;
}

export function describeIssue(issue: z.core.$ZodIssue, noun = 'an event'): EventProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ column: formatPath([...issue.path, key]), value: undefined, reason: `is not a field of ${noun} (misspelt?)` }));
  }
  const input = (issue as { input?: unknown }).input;
  return [{ column: formatPath(issue.path) || '(event)', value: shown(input), reason: issue.message }];
}

function shown(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'string') return input;
  let text: string;
  try {
    text = JSON.stringify(input);
  } catch {
    return '(too deeply nested to show)';
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** products[1].unitPrice */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}
