import { Environment } from '@marcbachmann/cel-js';
import { ASSUMED_SIZES, CEL_COST_BUDGET, estimateCost, type SizeOf } from './celCost';
import type { AccountContext } from './context';
import { InvalidInputError } from './errors';
import { formatUnits } from './money';
import type { TransactionFacts } from './transaction';

// The conditions of the `rules` book (docs/decisions.md, "Books and allocation"): CEL expressions over `event` (the transaction with
// its products and touchpoints) and `account` (its context, docs/decisions.md, "Contexts"). The variables are typed, so
// a misspelt field (`event.bundle_id`) or a condition that is not true/false is refused when the
// ruleset loads, with the column, rather than when a transaction meets it.
//
// Numbers are CEL doubles: a condition only chooses a rule (`event.grossAmount > 1000.0`), it never
// computes money, which the books split exactly. Absent values (no bundle, no refundOf, a
// touchpoint without weight, an account without refunds) are null.

// The values handed to CEL are instances of these classes (registered as the types' constructors):
// cel-js converts plain objects to a declared type only at the top of a variable, so a list item
// reached by index (`event.products[0]`) must already be one.
class CelValue<T> {
  constructor(fields: T) {
    Object.assign(this, fields);
  }
}
class CelProduct extends CelValue<{ productId: string; quantity: number; unitPrice: number; metadata: Record<string, unknown> }> {}
class CelTouchpoint extends CelValue<{ productId: string; interactionType: string; timestamp: Date; weight: number | null }> {}
class CelEvent extends CelValue<{
  transactionId: string; kind: string; timestamp: Date; customerId: string | null; grossAmount: number; currency: string;
  source: string | null; bundleId: string | null; refundOf: string | null; products: CelProduct[]; touchpoints: CelTouchpoint[];
}> {}
class CelAccount extends CelValue<{
  id: string; firstPaymentAt: Date | null; firstRefundAt: Date | null; hasRefund: boolean; netRevenue: Map<string, number>;
  usageUnits: Map<string, number>; usageTotal: number; touchPlatforms: string[];
}> {}

const environment = new Environment()
  .registerType('Product', {
    ctor: CelProduct,
    fields: { productId: 'string', quantity: 'double', unitPrice: 'double', metadata: 'map<string, dyn>' },
  })
  .registerType('Touchpoint', {
    ctor: CelTouchpoint,
    fields: { productId: 'string', interactionType: 'string', timestamp: 'google.protobuf.Timestamp', weight: 'dyn' },
  })
  .registerType('Event', {
    ctor: CelEvent,
    fields: {
      transactionId: 'string', kind: 'string', timestamp: 'google.protobuf.Timestamp', customerId: 'dyn', grossAmount: 'double',
      currency: 'string', source: 'dyn', bundleId: 'dyn', refundOf: 'dyn', products: 'list<Product>', touchpoints: 'list<Touchpoint>',
    },
  })
  .registerType('Account', {
    ctor: CelAccount,
    fields: {
      id: 'string', firstPaymentAt: 'dyn', firstRefundAt: 'dyn', hasRefund: 'bool', netRevenue: 'map<string, double>',
      usageUnits: 'map<string, double>', usageTotal: 'double', touchPlatforms: 'list<string>',
    },
  })
  .registerVariable('event', 'Event')
  .registerVariable('account', 'Account');

/** `at` is where cel-js points in the condition: "column 7", or "line 2, column 3" for a condition written over several lines. */
export type ConditionCheck = { ok: true } | { ok: false; at: string | null; reason: string; overBudget?: true };

/** Parses and type-checks a condition; it must give true or false. */
export function checkCondition(source: string): ConditionCheck {
  let result: { valid: boolean; type?: string; error?: Error };
  try {
    result = environment.check(source) as typeof result;
  } catch (error) {
    result = { valid: false, error: error as Error };
  }
  if (!result.valid) {
    const message = result.error?.message ?? 'is not a CEL expression';
    return { ok: false, at: caretPosition(message, source.includes('\n')), reason: message.split('\n')[0]! };
  }
  if (result.type !== 'bool' && result.type !== 'dyn') {
    return { ok: false, at: null, reason: `gives a ${result.type}; a condition must give true or false` };
  }
  const cost = estimateCost(compile(source).ast, assumedSize);
  if (cost > CEL_COST_BUDGET) {
    return {
      ok: false, at: null, overBudget: true,
      reason: `may take up to ${Math.round(cost)} steps per transaction, more than the budget of ${CEL_COST_BUDGET} ` +
        '(comprehensions nested over large lists); simplify it, e.g. fewer nested all/exists/map/filter',
    };
  }
  return { ok: true };
}

const assumedSize: SizeOf = (path) => ASSUMED_SIZES[path] ?? ASSUMED_SIZES['(other)']!;

/**
 * Where cel-js points: its messages quote the source line as `>    2 |   y` and mark the place
 * with ^ on the next line. The column is 1-based; the line is named only when the condition has
 * several (a YAML block scalar), since a one-line condition is what the ruleset author sees.
 */
function caretPosition(message: string, multiLine: boolean): string | null {
  const lines = message.split('\n');
  const at = lines.findIndex((l) => /^>\s*\d+ \| /.test(l));
  const caret = lines[at + 1];
  if (at < 0 || caret === undefined || !caret.includes('^')) return null;
  const quoted = lines[at]!;
  const column = caret.indexOf('^') - (quoted.indexOf('| ') + 2) + 1;
  const line = Number(/^>\s*(\d+) \| /.exec(quoted)![1]);
  return multiLine ? `line ${line}, column ${column}` : `column ${column}`;
}

type Evaluate = ((activation: Record<string, unknown>) => unknown) & { ast: unknown };
const compiled = new Map<string, Evaluate>();

function compile(condition: string): Evaluate {
  let evaluate = compiled.get(condition);
  if (evaluate === undefined) {
    evaluate = environment.parse(condition) as unknown as Evaluate;
    compiled.set(condition, evaluate);
  }
  return evaluate;
}

export interface ConditionalRule {
  name: string;
  priority: number;
  condition: string;
}

/**
 * The first rule, in descending priority (ties: file order), whose condition holds for the
 * transaction; undefined when none does. Conditions must have passed checkCondition; each is
 * compiled once per process.
 */
export function firstMatchingRule<R extends ConditionalRule>(rules: ReadonlyArray<R>, ctx: AccountContext, tx: TransactionFacts): R | undefined {
  const activation = { event: celEvent(tx), account: celAccount(ctx) };
  const ordered = rules.map((rule, index) => ({ rule, index })).sort((a, b) => b.rule.priority - a.rule.priority || a.index - b.index);
  return ordered.find(({ rule }) => conditionHolds(rule, activation, tx.transactionId))?.rule;
}

function conditionHolds(rule: ConditionalRule, activation: { event: CelEvent; account: CelAccount }, transactionId: string): boolean {
  const evaluate = compile(rule.condition);
  guardCost(rule, evaluate, activation, transactionId);
  let value: unknown;
  try {
    value = evaluate(activation);
  } catch (error) {
    throw new InvalidInputError(`rule "${rule.name}": condition ${JSON.stringify(rule.condition)} failed on transaction ${transactionId}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof value !== 'boolean') {
    throw new InvalidInputError(`rule "${rule.name}": condition ${JSON.stringify(rule.condition)} gave ${String(value)} on transaction ${transactionId}, not true or false`);
  }
  return value;
}

/**
 * The evaluation-time guard: the ruleset was checked with assumed collection sizes; a transaction
 * with larger ones (an event with 5,000 products) is estimated again with its own sizes and
 * refused, rather than blocking the worker, when the condition would go over the budget on it.
 */
function guardCost(rule: ConditionalRule, evaluate: Evaluate, activation: { event: CelEvent; account: CelAccount }, transactionId: string): void {
  const e = activation.event as unknown as { products: unknown[]; touchpoints: unknown[] };
  const a = activation.account as unknown as { touchPlatforms: unknown[]; netRevenue: Map<string, number>; usageUnits: Map<string, number> };
  const actual: Record<string, number> = {
    'event.products': e.products.length, 'event.touchpoints': e.touchpoints.length, 'account.touchPlatforms': a.touchPlatforms.length,
    'account.netRevenue': a.netRevenue.size, 'account.usageUnits': a.usageUnits.size, '(other)': ASSUMED_SIZES['(other)']!,
  };
  if (Object.entries(actual).every(([path, size]) => size <= ASSUMED_SIZES[path]!)) return;
  const cost = estimateCost(evaluate.ast, (path) => actual[path] ?? actual['(other)']!);
  if (cost > CEL_COST_BUDGET) {
    throw new InvalidInputError(
      `rule "${rule.name}": condition ${JSON.stringify(rule.condition)} would take up to ${Math.round(cost)} steps on transaction ${transactionId} ` +
        `(its lists are larger than usual), more than the budget of ${CEL_COST_BUDGET}; simplify the condition`,
    );
  }
}

const toDouble = (units: bigint) => Number(formatUnits(units));

function celEvent(tx: TransactionFacts): CelEvent {
  return new CelEvent({
    transactionId: tx.transactionId,
    kind: tx.kind,
    timestamp: new Date(tx.at),
    customerId: tx.customerId,
    grossAmount: toDouble(tx.amountUnits),
    currency: tx.currency,
    source: tx.source,
    bundleId: tx.bundleId,
    refundOf: tx.refundOf,
    products: tx.products.map((p) => new CelProduct({ productId: p.productId, quantity: p.quantity.toNumber(), unitPrice: p.unitPrice.toNumber(), metadata: p.metadata ?? {} })),
    touchpoints: tx.touchpoints.map((t) => new CelTouchpoint({ productId: t.productId, interactionType: t.interactionType, timestamp: new Date(t.at), weight: t.weight?.toNumber() ?? null })),
  });
}

function celAccount(ctx: AccountContext): CelAccount {
  const usage = [...ctx.usageUnitsByPlatform];
  return new CelAccount({
    id: ctx.accountId,
    firstPaymentAt: ctx.firstPaymentAt === null ? null : new Date(ctx.firstPaymentAt),
    firstRefundAt: ctx.firstRefundAt === null ? null : new Date(ctx.firstRefundAt),
    hasRefund: ctx.firstRefundAt !== null,
    netRevenue: new Map([...ctx.netUnitsByCurrency].map(([currency, units]) => [currency, toDouble(units)])),
    usageUnits: new Map(usage.map(([platform, units]) => [platform, units.toNumber()])),
    usageTotal: usage.reduce((sum, [, units]) => sum + units.toNumber(), 0),
    touchPlatforms: [...new Set(ctx.touchPath.map((t) => t.platform))],
  });
}
