import assert from 'node:assert/strict';
import { describe as nodeDescribe, test as nodeTest } from 'node:test';
import { Decimal } from 'decimal.js';
import type { ChannelWeight } from '../../domain/allocation';
import type { AccountInput, ContextParams, PaymentRow, RefundRow } from '../../domain/context';
import { parseRuleset, RulesetError } from '../../domain/ruleset';
import { csvTransaction, type TransactionFacts } from '../../domain/transaction';

// A fixed reference time: every instant in the domain tests is an offset from it, so the tests
// never depend on the clock.
export const REFERENCE_TIME = Date.UTC(2024, 0, 1);
export const HOUR_MS = 3_600_000;

/** The instant `n` hours after the reference time. */
export const h = (n: number): number => REFERENCE_TIME + n * HOUR_MS;

export const dec = (s: string | number): Decimal => new Decimal(s);

export const DEFAULT_PARAMS: ContextParams = {
  alwaysAvailable: ['mobile', 'web'],
  smsSecondsPerSegment: dec(5),
  stopAtFirstRefund: true,
};

export function account(rows: Partial<Omit<AccountInput, 'accountId'>>): AccountInput {
  return { accountId: 'acc-1', payments: [], refunds: [], integrationEvents: [], calls: [], sms: [], ...rows };
}

/** Weights as [channel, decimal string] pairs, for comparison with literals. */
export function plainWeights(weights: ReadonlyArray<ChannelWeight>): Array<[string, string]> {
  return weights.map((w) => [w.channel, w.weight.toFixed()]);
}

export function weights(pairs: Array<[string, string | number]>): ChannelWeight[] {
  return pairs.map(([channel, weight]) => ({ channel, weight: dec(weight) }));
}

/** A plain object of a Map, for deepEqual with literals. */
export function plainMap<V, R>(map: ReadonlyMap<string, V>, f: (v: V) => R): Record<string, R> {
  return Object.fromEntries([...map].map(([k, v]) => [k, f(v)]));
}

// node:test's describe() and test() return promises that the runner itself awaits; the project's
// no-floating-promises rule cannot know that, so these wrappers mark them as handled in one place.
export function describe(name: string, fn: () => void): void {
  void nodeDescribe(name, fn);
}

export function test(name: string, fn: () => void | Promise<void>): void {
  void nodeTest(name, fn);
}

/** A CSV-shape payment or refund row as the transaction a book weighs. */
export const paymentTx = (p: PaymentRow): TransactionFacts => csvTransaction({ ...p, kind: 'payment' });
export const refundTx = (r: RefundRow): TransactionFacts => csvTransaction({ ...r, kind: 'refund', refundOf: r.paymentId });

/** Any CSV-shape transaction: the path books then walk the account's own path. */
export const CSV_TX: TransactionFacts = csvTransaction({ id: 't-1', kind: 'payment', at: REFERENCE_TIME, currency: 'USD', amountUnits: 1n });

/** The problems of a ruleset that must be refused, one per entry. */
export function rulesetProblems(yamlText: string): string[] {
  try {
    parseRuleset(yamlText, 'test.yaml');
  } catch (e) {
    assert.ok(e instanceof RulesetError, `expected a RulesetError, got ${String(e)}`);
    return [...e.problems];
  }
  assert.fail('the ruleset was accepted');
}
