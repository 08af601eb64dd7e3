// The `rules` book end to end in the domain: the seed's configuration template made valid, the CEL
// variables a condition reads, where a bad condition is reported, and how rules meet the refund
// cascade (docs/decisions.md, "Books and allocation"). Amounts are units of 0.0001, hand-computed in the comments.
import assert from 'node:assert/strict';
import { Environment } from '@marcbachmann/cel-js';
import { Decimal } from 'decimal.js';
import { estimateCost } from '../../domain/celCost';
import { InvalidInputError } from '../../domain/errors';
import { allocateExact } from '../../domain/allocation';
import { weighTransaction } from '../../domain/books';
import type { AccountContext } from '../../domain/context';
import { decideAccountBook, type AttributedPayment, type Decision } from '../../domain/decisions';
import { parseRuleset, type Ruleset } from '../../domain/ruleset';
import { csvTransaction, type InteractionType, type ProductLine, type Touchpoint, type TransactionFacts } from '../../domain/transaction';
import { describe, h, rulesetProblems as problemsOf, test } from './helpers';

// The seed article's "Configuration Template", made valid: CEL's exists(tp, …) macro instead of an
// arrow function, the event's own field names, default_model as the priority-0 "true" rule.
const SEED_TEMPLATE = `
version: "1.0"
bundles:
  ent-bundle-v2:
    components: { crm: 3, voice-suite: 1 }
  voice-suite:
    components: { calls: 1, sms: 1 }
books:
  rules:
    rules:
      - name: "Enterprise Bundle"
        priority: 100
        condition: "event.bundleId == 'ent-bundle-v2'"
        model: "pro_rata"
        parameters:
          basis: "unit_price"

      - name: "Usage-Driven Upsell"
        priority: 50
        condition: "event.touchpoints.exists(tp, tp.interactionType == 'usage_spike')"
        model: "weighted"
        parameters:
          weights:
            view: 0.1
            click: 0.3
            usage_spike: 0.8
            support: 0.2
          normalization: "sum_weights"

      - name: "Fallback"
        priority: 0
        condition: "true"
        model: "last_touch"
default_books: [rules]
report: { chosen: rules }
`;

function ctx(overrides: Partial<AccountContext> = {}): AccountContext {
  return {
    accountId: 'cust-1', asOf: h(1000), firstPaymentAt: h(0), firstRefundAt: null, activeEnd: h(1000),
    netUnitsByCurrency: new Map([['USD', 10_000_000n]]), connectionWindowsByPlatform: new Map(),
    usageUnitsByPlatform: new Map(), touchPath: [], orphanDisconnects: 0, redundantConnects: 0, ...overrides,
  };
}

const product = (productId: string, quantity: string, unitPrice: string, metadata: Record<string, unknown> | null = null): ProductLine => ({
  productId, quantity: new Decimal(quantity), unitPrice: new Decimal(unitPrice), metadata,
});
const touch = (productId: string, interactionType: InteractionType, at: number): Touchpoint => ({ productId, interactionType, at, weight: null });

function event(id: string, overrides: Partial<TransactionFacts> = {}): TransactionFacts {
  return { ...csvTransaction({ id, kind: 'payment', at: h(10), currency: 'USD', amountUnits: 1_000_000n }), source: 'invoice', customerId: 'cust-1', ...overrides };
}

/** "rule: channel units, ..." or "no_rule_matched". */
function weighing(r: Ruleset, tx: TransactionFacts, context = ctx()): string {
  const w = weighTransaction(r, 'rules', context, tx);
  if (w.kind !== 'weights') return w.kind;
  return `${w.ruleName}: ${allocateExact(tx.amountUnits, w.weights).map((l) => `${l.channel} ${l.amountUnits}`).join(', ')}`;
}

/** A ruleset with one rule `R` (the given condition, model linear) and nothing to fall back on. */
function oneRule(condition: string): Ruleset {
  return parseRuleset(`version: t\nbooks:\n  rules:\n    rules:\n      - { name: R, priority: 1, condition: ${JSON.stringify(condition)}, model: linear }\n`, 'test.yaml');
}

const matches = (condition: string, tx: TransactionFacts, context = ctx()) => weighTransaction(oneRule(condition), 'rules', context, tx).kind === 'weights';

describe("the seed's configuration template, made valid", () => {
  const r = parseRuleset(SEED_TEMPLATE, 'seed.yaml');

  test('loads, with the omitted parameters of Fallback resolved to last_touch defaults', () => {
    assert.deepEqual(r.books.rules!.rules.map((rule) => [rule.name, rule.priority, rule.model, rule.parameters]), [
      ['Enterprise Bundle', 100, 'pro_rata', { basis: 'unit_price' }],
      ['Usage-Driven Upsell', 50, 'weighted', { weights: { view: '0.1', click: '0.3', usage_spike: '0.8', support: '0.2', trial: '1' }, normalization: 'sum_weights' }],
      ['Fallback', 0, 'last_touch', {}],
    ]);
  });

  test('an enterprise-bundle event goes pro rata through the nested bundle, even with a usage spike', () => {
    // ent-bundle-v2 → crm 3/4, voice-suite 1/4 → calls 1/8, sms 1/8 of 100.0000
    const tx = event('e1', { bundleId: 'ent-bundle-v2', products: [product('ent-bundle-v2', '1', '400')], touchpoints: [touch('calls', 'usage_spike', h(1))] });
    assert.equal(weighing(r, tx), 'Enterprise Bundle: calls 125000, crm 750000, sms 125000');
  });

  test('a usage spike without the bundle is weighted by interaction type', () => {
    // crm view 0.1, calls usage_spike 0.8 + click 0.3 = 1.1; of 1.2 over 120.0000: crm 10.0000, calls 110.0000
    const tx = event('e2', { amountUnits: 1_200_000n, touchpoints: [touch('crm', 'view', h(1)), touch('calls', 'usage_spike', h(2)), touch('calls', 'click', h(3))] });
    assert.equal(weighing(r, tx), 'Usage-Driven Upsell: calls 1100000, crm 100000');
  });

  test("anything else falls back to last touch: the event's own path, or the account's for a CSV payment", () => {
    const tx = event('e3', { bundleId: 'other', touchpoints: [touch('calls', 'view', h(1)), touch('crm', 'click', h(2))] });
    assert.equal(weighing(r, tx), 'Fallback: crm 1000000');
    const account = ctx({ touchPath: [{ at: h(1), platform: 'hubspot', userId: 'u' }, { at: h(2), platform: 'slack', userId: 'u' }] });
    assert.equal(weighing(r, csvTransaction({ id: 'p', kind: 'payment', at: h(10), currency: 'USD', amountUnits: 500n }), account), 'Fallback: slack 500');
  });
});

describe('CEL variables', () => {
  test('event.timestamp is a CEL timestamp (UTC): compared with timestamp(), durations from account.firstPaymentAt', () => {
    // h(10) is 2024-01-01T10:00:00Z
    assert.equal(matches("event.timestamp >= timestamp('2024-01-01T12:00:00Z')", event('t', { at: h(10) })), false);
    assert.equal(matches("event.timestamp >= timestamp('2024-01-01T12:00:00Z')", event('t', { at: h(12) })), true);
    assert.equal(matches('event.timestamp.getHours() == 10', event('t', { at: h(10) })), true);
    const since = "account.firstPaymentAt != null && event.timestamp - account.firstPaymentAt >= duration('24h')";
    assert.equal(matches(since, event('t', { at: h(23) })), false);
    assert.equal(matches(since, event('t', { at: h(24) })), true);
    assert.equal(matches(since, event('t', { at: h(24) }), ctx({ firstPaymentAt: null })), false);
  });

  test('absent values are null: a CSV transaction has no source, customer or bundle', () => {
    const csv = csvTransaction({ id: 'p', kind: 'payment', at: h(10), currency: 'USD', amountUnits: 1n });
    assert.equal(matches('event.source == null && event.customerId == null && event.bundleId == null && event.refundOf == null', csv), true);
    assert.equal(matches("event.source == 'invoice' && event.kind == 'payment'", event('e')), true);
  });

  test('products with their metadata, amounts as doubles', () => {
    const tx = event('e', { amountUnits: 12_345_000n, products: [product('crm', '2', '3', { tier: 'gold' }), product('sms', '1', '0')] });
    assert.equal(matches("event.products.exists(p, 'tier' in p.metadata && p.metadata.tier == 'gold')", tx), true);
    assert.equal(matches("event.products.all(p, 'tier' in p.metadata)", tx), false); // sms has no metadata: an empty map
    assert.equal(matches('event.products.exists(p, p.quantity * p.unitPrice == 6.0) && event.grossAmount == 1234.5', tx), true);
    assert.equal(matches('size(event.products) == 2 && size(event.touchpoints) == 0', tx), true);
  });

  test('list items reached by index are typed too; metadata numbers compare with ints and doubles', () => {
    const tx = event('e', {
      products: [product('crm', '2', '3', { seats: 5, tags: ['a'], plan: { tier: 'gold' } })],
      touchpoints: [{ productId: 'crm', interactionType: 'click', at: h(1), weight: new Decimal('0.25') }, touch('sms', 'view', h(2))],
    });
    assert.equal(matches("event.products[0].productId == 'crm' && event.products[0].metadata.seats == 5 && event.products[0].metadata.seats > 4.5", tx), true);
    assert.equal(matches("'a' in event.products[0].metadata.tags && event.products[0].metadata.plan.tier == 'gold'", tx), true);
    assert.equal(matches("event.touchpoints[0].interactionType == 'click' && event.touchpoints[0].weight == 0.25 && event.touchpoints[1].weight == null", tx), true);
  });

  test("the account's context: net revenue, usage, platforms touched, refunds", () => {
    const account = ctx({
      netUnitsByCurrency: new Map([['USD', 5_000_000n], ['EUR', -10_000n]]),
      usageUnitsByPlatform: new Map([['web', new Decimal('2.5')], ['hubspot', new Decimal(40)]]),
      touchPath: [{ at: h(1), platform: 'hubspot', userId: 'u' }, { at: h(2), platform: 'hubspot', userId: 'v' }],
      firstRefundAt: h(50),
    });
    const tx = event('e');
    assert.equal(matches("account.id == 'cust-1' && account.netRevenue['USD'] == 500.0 && account.netRevenue['EUR'] < 0.0", tx, account), true);
    assert.equal(matches("account.usageUnits['web'] == 2.5 && account.usageTotal == 42.5", tx, account), true);
    assert.equal(matches("account.touchPlatforms == ['hubspot'] && account.hasRefund && account.firstRefundAt == timestamp('2024-01-03T02:00:00Z')", tx, account), true);
    assert.equal(matches("!account.hasRefund && !('GBP' in account.netRevenue)", tx, ctx()), true);
  });

  test('a condition typed dyn that gives no bool at run time names the rule and the transaction', () => {
    assert.throws(() => weighTransaction(oneRule('event.bundleId'), 'rules', ctx(), event('tx-7')), {
      name: 'InvalidInputError',
      message: 'rule "R": condition "event.bundleId" gave null on transaction tx-7, not true or false',
    });
  });
});

describe('a condition that does not compile', () => {
  const rule = (condition: string) => `version: t\nbooks:\n  rules:\n    rules:\n      - name: Upsell\n        priority: 1\n        model: weighted\n        condition: ${condition}\n`;

  test('the column is 1-based in the condition text', () => {
    // "event.touchpoints.exists(tp, tp.kind…": kind is at 33
    assert.deepEqual(problemsOf(rule(`"event.touchpoints.exists(tp, tp.kind == 'usage_spike')"`)), [
      'books.rules.rules[0].condition: does not compile at column 33: No such key: kind (rule "Upsell")',
    ]);
    assert.deepEqual(problemsOf(rule('"(event.grossAmount > 1.0"')), [
      'books.rules.rules[0].condition: does not compile at column 25: Expected RPAREN, got EOF (rule "Upsell")',
    ]);
  });

  test('a condition over several lines (YAML block scalar) names the line too', () => {
    assert.deepEqual(problemsOf(rule("|\n          event.bundleId != null &&\n            event.bundle == 'x'")), [
      'books.rules.rules[0].condition: does not compile at line 2, column 9: No such key: bundle (rule "Upsell")',
    ]);
  });

  test('an empty condition, a condition that is not text, and one per rule, all at once', () => {
    assert.deepEqual(problemsOf(rule('"  "')), ['books.rules.rules[0].condition: must not be empty (a rule that always applies says "true")']);
    assert.deepEqual(problemsOf(rule('[a]')), ['books.rules.rules[0].condition: must be a CEL expression in quotes']);
    assert.deepEqual(problemsOf(`version: t
books:
  rules:
    rules:
      - { name: A, priority: 2, condition: "event.amount > 1.0", model: linear }
      - { name: B, priority: 1, condition: "true", model: linear, parameters: { x: 1 } }
      - { name: C, priority: 0, condition: "1 +", model: rules }
`), [
      'books.rules.rules[0].condition: does not compile at column 7: No such key: amount (rule "A")',
      'books.rules.rules[1].parameters.x: unknown key (known: lookback_days)',
      'books.rules.rules[2].condition: does not compile at column 4: Unexpected token: EOF (rule "C")',
      'books.rules.rules[2].model: unknown book "rules" for rule "C" (a rule may pick: first_touch, last_touch, linear, markov, position_based, pro_rata, shapley, time_decay, usage_share, weighted)',
    ]);
  });

  test('rule names must be present and non-empty', () => {
    assert.deepEqual(problemsOf(`version: t\nbooks:\n  rules:\n    rules:\n      - { name: " ", priority: 1, condition: "true", model: linear }\n      - { priority: 1, condition: "true", model: linear }\n`), [
      'books.rules.rules[0].name: must not be empty',
      'books.rules.rules[1].name: is required',
    ]);
  });
});

describe('rules and the refund cascade', () => {
  const r = parseRuleset(SEED_TEMPLATE, 'seed.yaml');
  const account = ctx();
  const decide = (ruleset: Ruleset, payments: TransactionFacts[], refunds: TransactionFacts[], prior = new Map<string, AttributedPayment>()): Decision[] =>
    decideAccountBook({
      ctx: account, book: 'rules', weigh: (tx) => weighTransaction(ruleset, 'rules', account, tx), payments, refunds,
      priorAttributedPayments: prior, priorAttributedCurrencies: new Set([...prior.values()].map((p) => p.currency)),
    });
  const summary = (decisions: Decision[]) => decisions.map((d) => `${d.transactionId} ${d.status} ${d.reason} [${d.ruleName}] ${d.lines.map((l) => `${l.channel} ${l.amountUnits}`).join(', ')}`);
  const refund = (id: string, at: number, amountUnits: bigint, overrides: Partial<TransactionFacts> = {}) =>
    event(id, { kind: 'refund', source: 'refund', at, amountUnits, ...overrides });

  test("a reversal keeps the payment's rule; a refund naming nothing is weighed by its own products and touchpoints", () => {
    const payment = event('p1', { amountUnits: 800_000n, bundleId: 'ent-bundle-v2', products: [product('ent-bundle-v2', '1', '80')] });
    const decisions = decide(r, [payment], [
      // Names p1: split by p1's lines (crm 6/8, calls 1/8, sms 1/8), although its own spike would pick the upsell rule.
      refund('r1', h(11), 200_000n, { refundOf: 'p1', touchpoints: [touch('calls', 'usage_spike', h(1))] }),
      // Names nothing: crm view 0.1, calls usage_spike 0.8 of 10.0000 → 11111.1 and 88888.8, the leftover unit to calls (.8 > .1).
      refund('r2', h(12), 100_000n, { touchpoints: [touch('crm', 'view', h(1)), touch('calls', 'usage_spike', h(2))] }),
      // Names a transaction that is not an attributed payment: its own path, last touch crm.
      refund('r3', h(13), 50_000n, { refundOf: 'unknown', touchpoints: [touch('sms', 'view', h(1)), touch('crm', 'click', h(3))] }),
    ]);
    assert.deepEqual(summary(decisions), [
      'p1 attributed attributed [Enterprise Bundle] calls 100000, crm 600000, sms 100000',
      'r1 attributed refund_of_payment [Enterprise Bundle] calls -25000, crm -150000, sms -25000',
      'r2 attributed refund_by_account_weights [Usage-Driven Upsell] calls -88889, crm -11111',
      'r3 attributed refund_by_account_weights [Fallback] crm -50000',
    ]);
  });

  test('a refund that no rule matches is excluded with no_rule_matched; one naming the payment is still reversed', () => {
    const paymentsOnly = parseRuleset(`version: t
books:
  rules:
    rules:
      - { name: Invoices, priority: 1, condition: "event.kind == 'payment'", model: pro_rata }
`, 'test.yaml');
    const decisions = decide(paymentsOnly, [event('p1', { products: [product('crm', '1', '10')] })], [
      refund('r1', h(11), 10_000n),
      refund('r2', h(12), 20_000n, { refundOf: 'p1' }),
    ]);
    assert.deepEqual(summary(decisions), [
      'p1 attributed attributed [Invoices] crm 1000000',
      'r1 excluded no_rule_matched [null] ',
      'r2 attributed refund_of_payment [Invoices] crm -20000',
    ]);
  });

  test('a payment of an account with net revenue <= 0 in its currency is excluded before any rule is tried', () => {
    const refunded = ctx({ netUnitsByCurrency: new Map([['USD', 0n]]) });
    const decisions = decideAccountBook({
      ctx: refunded, book: 'rules', weigh: () => assert.fail('no rule may be tried'), payments: [event('p1')], refunds: [],
      priorAttributedPayments: new Map(), priorAttributedCurrencies: new Set(),
    });
    assert.deepEqual(summary(decisions), ['p1 excluded non_positive_net_revenue [null] ']);
  });

  test('a payment from the ledger is reversed by what its stored reversals left of it, ending at zero', () => {
    // 80.0000 attributed earlier; refunds of earlier periods reversed 50.0000 of it, stored as three lines
    // (not in proportion: the ledger's lines are what counts, however they came about).
    const stored: AttributedPayment = {
      currency: 'USD', ruleName: 'Enterprise Bundle',
      lines: [{ channel: 'calls', amountUnits: 100_000n }, { channel: 'crm', amountUnits: 600_000n }, { channel: 'sms', amountUnits: 100_000n }],
      reversed: [{ channel: 'crm', amountUnits: -100_000n }, { channel: 'crm', amountUnits: -300_000n }, { channel: 'calls', amountUnits: -100_000n }],
    };
    const decisions = decide(r, [], [refund('r4', h(20), 150_000n, { refundOf: 'p0' }), refund('r5', h(21), 150_000n, { refundOf: 'p0' })], new Map([['p0', stored]]));
    // left: crm 200000, calls 0, sms 100000 (of 300000); r4 takes half of each, r5 the rest.
    assert.deepEqual(summary(decisions), [
      'r4 attributed refund_of_payment [Enterprise Bundle] crm -100000, sms -50000',
      'r5 attributed refund_of_payment [Enterprise Bundle] crm -100000, sms -50000',
    ]);
    assert.equal(stored.reversed.length, 3, "the caller's record is not changed");
  });
});

describe('the CEL cost budget (docs/rules-engine.md, "Cost budget")', () => {
  const cost = (condition: string, size = 100) => estimateCost((new Environment().registerVariable('event', 'dyn').parse(condition) as unknown as { ast: unknown }).ast, () => size);

  test('estimates by hand: a literal, a comprehension, two nested over event lists', () => {
    assert.equal(cost('1 == 1'), 3); // == and its two values
    // list [1,2,3]: 1 + 3 = 4; body x == 2: 3, plus 1 per element; 1 + 4 + 3 × 4 = 17
    assert.equal(cost('[1,2,3].exists(x, x == 2)'), 17);
    // event.products: 2 (id + field), size 10; inner per element: 1 + 2 + 10 × (3 + 1) = 43, plus 1;
    // outer: 1 + 2 + 10 × 44 = 443
    assert.equal(cost('event.products.exists(p, event.touchpoints.exists(t, t == p))', 10), 443);
  });

  test('a condition over the budget is refused when the ruleset loads, naming the rule and the estimate', () => {
    const list = `[${Array.from({ length: 100 }, (_, i) => i).join(',')}]`;
    const problems = problemsOf(`version: t\nbooks:\n  rules:\n    rules:\n      - { name: R, priority: 1, condition: "${list}.all(x, ${list}.all(y, ${list}.all(z, x + y + z >= 0)))", model: linear }\n`);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /books\.rules\.rules\[0\]\.condition: .*may take up to \d+ steps per transaction, more than the budget of 1000000/);
  });

  test('an event whose lists are larger than assumed is refused at evaluation, at once, not evaluated for minutes', () => {
    const rule = oneRule('event.products.exists(p, event.touchpoints.exists(t, t.productId == p.productId && t.interactionType == "view"))');
    const many = event('big', {
      products: Array.from({ length: 1000 }, (_, i) => product(`p${i}`, '1', '1')),
      touchpoints: Array.from({ length: 1000 }, (_, i) => touch(`q${i}`, 'click', h(1))),
    });
    const started = Date.now();
    assert.throws(() => weighTransaction(rule, 'rules', ctx(), many), (error: Error) =>
      error instanceof InvalidInputError && /rule "R": condition .* would take up to \d+ steps on transaction big .*more than the budget of 1000000; simplify the condition/.test(error.message));
    assert.ok(Date.now() - started < 1000);
    assert.equal(matches('event.products.exists(p, event.touchpoints.exists(t, t.productId == p.productId))', event('small', { products: [product('crm', '1', '1')], touchpoints: [touch('crm', 'view', h(1))] })), true);
  });
});
