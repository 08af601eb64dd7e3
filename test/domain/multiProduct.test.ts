// The multi-product books (docs/decisions.md, "Books and allocation"): weighted touchpoints, pro rata with nested bundles, the rule
// engine with CEL conditions, and every ruleset/bundle error named. Amounts are hand-computed.
import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { allocateExact } from '../../domain/allocation';
import { weighTransaction, type BookName } from '../../domain/books';
import { parseBundlesYaml } from '../../domain/bundles';
import type { AccountContext } from '../../domain/context';
import { decideAccountBook } from '../../domain/decisions';
import { parseRuleset, RulesetError, type Ruleset } from '../../domain/ruleset';
import { csvTransaction, INTERACTION_TYPES, type InteractionType, type ProductLine, type TransactionFacts, type Touchpoint } from '../../domain/transaction';
import { describe, h, rulesetProblems as problemsOf, test } from './helpers';

const BUNDLES = `
bundles:
  ent-bundle-v2:
    components: { crm: 3, voice-suite: 1 }
  voice-suite:
    components: { calls: 1, sms: 1, fax: 0 }
`;

function ruleset(books: string, extra = ''): Ruleset {
  return parseRuleset(`version: t\n${BUNDLES}\nbooks:\n${books}\ndefault_books: [first_touch]\nreport: { chosen: first_touch }\n${extra}`, 'test.yaml');
}

function ctx(overrides: Partial<AccountContext> = {}): AccountContext {
  return {
    accountId: 'cust-1', asOf: h(1000), firstPaymentAt: h(0), firstRefundAt: null, activeEnd: h(1000),
    netUnitsByCurrency: new Map([['USD', 10_000_000n]]), connectionWindowsByPlatform: new Map(),
    usageUnitsByPlatform: new Map(), touchPath: [], orphanDisconnects: 0, redundantConnects: 0, ...overrides,
  };
}

const product = (productId: string, quantity: string, unitPrice: string): ProductLine => ({ productId, quantity: new Decimal(quantity), unitPrice: new Decimal(unitPrice), metadata: null });
const touch = (productId: string, interactionType: InteractionType, at: number, weight?: string): Touchpoint => ({ productId, interactionType, at, weight: weight === undefined ? null : new Decimal(weight) });

function event(overrides: Partial<TransactionFacts> = {}): TransactionFacts {
  return { ...csvTransaction({ id: 'tx-1', kind: 'payment', at: h(10), currency: 'USD', amountUnits: 1_000_000n }), source: 'invoice', customerId: 'cust-1', ...overrides };
}

/** The lines of `amount` (units) under a book, as "channel units". */
function split(r: Ruleset, book: BookName, tx: TransactionFacts, context = ctx()): string[] {
  const weighing = weighTransaction(r, book, context, tx);
  assert.equal(weighing.kind, 'weights');
  if (weighing.kind !== 'weights') return [];
  return allocateExact(tx.amountUnits, weighing.weights).map((l) => `${l.channel} ${l.amountUnits}`);
}

describe('pro_rata', () => {
  const r = ruleset('  pro_rata: {}');

  test('each product line weighs unitPrice × quantity', () => {
    // crm 2 × 30 = 60, analytics 4 × 10 = 40 of 100.0000
    assert.deepEqual(split(r, 'pro_rata', event({ products: [product('crm', '2', '30'), product('analytics', '4', '10')] })), ['analytics 400000', 'crm 600000']);
  });

  test('a bundle expands recursively by component weight; zero-weight and zero-priced components get nothing', () => {
    // ent-bundle-v2 (600) → crm 3/4 = 450, voice-suite 1/4 = 150 → calls 75, sms 75, fax 0; sms line free.
    const tx = event({ products: [product('ent-bundle-v2', '1', '600'), product('sms', '10', '0')], amountUnits: 6_000_000n });
    assert.deepEqual(split(r, 'pro_rata', tx), ['calls 750000', 'crm 4500000', 'sms 750000']);
  });

  test('a third of a third stays exact: the leftover unit goes to the largest fraction, then by name', () => {
    const thirds = parseRuleset(`version: t\nbundles:\n  b:\n    components: { x: 1, y: 1, inner: 1 }\n  inner:\n    components: { p: 1, q: 1, r: 1 }\nbooks:\n  pro_rata: {}\n`, 't.yaml');
    // 1.0000 over x 1/3, y 1/3, p q r 1/9 each: 3333, 3333, 1111 ×3 = 9999; the 1 leftover unit goes to x (fraction .33…, then name).
    assert.deepEqual(split(thirds, 'pro_rata', event({ products: [product('b', '1', '5')], amountUnits: 10_000n })), ['p 1111', 'q 1111', 'r 1111', 'x 3334', 'y 3333']);
  });

  test('all-zero basis: equal split over the lines; no lines but a bundleId: the bundle; nothing: (no product)', () => {
    assert.deepEqual(split(r, 'pro_rata', event({ products: [product('crm', '1', '0'), product('voice-suite', '0', '99')] })), ['calls 250000', 'crm 500000', 'sms 250000']);
    assert.deepEqual(split(r, 'pro_rata', event({ bundleId: 'voice-suite' })), ['calls 500000', 'sms 500000']);
    assert.deepEqual(split(r, 'pro_rata', event()), ['(no product) 1000000']);
    // A bundleId that names no configured bundle, with no product lines, is not guessed to be a product.
    assert.deepEqual(split(r, 'pro_rata', event({ bundleId: 'unknown-bundle' })), ['(no product) 1000000']);
  });
});

describe('pro_rata: bad input', () => {
  test('a negative quantity or unit price is refused, naming the transaction and the product', () => {
    const r = ruleset('  pro_rata: {}');
    assert.throws(() => split(r, 'pro_rata', event({ transactionId: 'tx-9', products: [product('crm', '1', '5'), product('sms', '-2', '1')] })), {
      name: 'InvalidInputError',
      message: 'transaction tx-9: product sms has a negative quantity or unit price',
    });
    assert.throws(() => split(r, 'pro_rata', event({ products: [product('crm', '1', '-0.01')] })), /transaction tx-1: product crm/);
  });
});

describe('property: random products, bundles and touchpoints', () => {
  // An independent reference for the exact shares: bigint fractions, expanded recursively, so the
  // books' lines can be checked to be within one unit of amount × exact share on every channel.
  type Frac = [bigint, bigint];
  const frac = (d: Decimal): Frac => {
    const places = d.decimalPlaces();
    return [BigInt(d.times(new Decimal(10).pow(places)).toFixed(0)), 10n ** BigInt(places)];
  };
  const plus = ([a, b]: Frac, [c, d]: Frac): Frac => [a * d + c * b, b * d];

  const LEAVES = ['p', 'q', 'r'];
  // Bundle b<i> may contain leaves and bundles b<j> with j > i: acyclic by construction.
  const bundlesArb = fc.array(fc.uniqueArray(fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 25 })), { minLength: 1, maxLength: 4, selector: ([target]) => target }), { minLength: 0, maxLength: 3 }).map((specs) =>
    Object.fromEntries(specs.map((components, i) => {
      const targets = [...LEAVES, ...specs.map((_, j) => `b${j}`).filter((_, j) => j > i)];
      const weights: Record<string, number> = {};
      // Weights in tenths, so that bundles with decimal weights are exercised too.
      for (const [target, weight] of components) weights[targets[target % targets.length]!] = weight / 10;
      if (Object.values(weights).every((w) => w === 0)) weights.p = 1;
      return [`b${i}`, { components: weights }];
    })),
  );
  const decimalArb = fc.tuple(fc.nat({ max: 2000 }), fc.nat({ max: 2 })).map(([n, places]) => new Decimal(n).div(10 ** places));
  const typeWeightArb = fc.tuple(...INTERACTION_TYPES.map(() => fc.nat({ max: 9 }))).filter((ws) => ws.some((w) => w > 0));

  test('pro_rata and weighted: lines sum to the amount, each within one unit of the exact share', () => {
    fc.assert(
      fc.property(
        bundlesArb,
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        fc.array(fc.tuple(fc.nat({ max: 5 }), decimalArb, decimalArb), { maxLength: 5 }),
        fc.array(fc.tuple(fc.constantFrom('p', 'q', 'x'), fc.constantFrom(...INTERACTION_TYPES), fc.nat({ max: 5 }), fc.option(fc.nat({ max: 10 }), { nil: null })), { maxLength: 6 }),
        typeWeightArb,
        (bundles, amount, productSpecs, touchSpecs, typeWeights) => {
          const ids = [...LEAVES, ...Object.keys(bundles)];
          const typeWeightOf = Object.fromEntries(INTERACTION_TYPES.map((t, i) => [t, typeWeights[i]!]));
          const r = parseRuleset(JSON.stringify({ version: 'p', bundles, books: { pro_rata: {}, weighted: { weights: typeWeightOf } } }), 'p.json');
          const products = productSpecs.map(([i, q, p]) => ({ productId: ids[i % ids.length]!, quantity: q, unitPrice: p, metadata: null }));
          const touchpoints = touchSpecs.map(([c, t, at, w]) => ({ productId: c, interactionType: t, at: h(at), weight: w === null ? null : new Decimal(w).div(10) }));
          const tx = event({ amountUnits: amount, products, touchpoints });

          // pro_rata reference
          const leaves = new Map<string, Frac>();
          const expand = (id: string, share: Frac): void => {
            const bundle = bundles[id];
            if (bundle === undefined) return void leaves.set(id, plus(leaves.get(id) ?? [0n, 1n], share));
            const weights = Object.entries(bundle.components).map(([c, w]) => [c, frac(new Decimal(w))] as const);
            const [tn, td] = weights.reduce((sum, [, w]) => plus(sum, w), [0n, 1n] as Frac);
            for (const [c, [wn, wd]] of weights) expand(c, [share[0] * wn * td, share[1] * wd * tn]);
          };
          const bases = products.map((p) => frac(p.quantity.times(p.unitPrice)));
          const allZero = bases.every(([n]) => n === 0n);
          products.forEach((p, i) => expand(p.productId, allZero ? [1n, 1n] : bases[i]!));
          if (products.length === 0) leaves.set('(no product)', [1n, 1n]);
          checkAgainst(split(r, 'pro_rata', tx), amount, leaves);

          // weighted reference
          const perChannel = new Map<string, Frac>();
          const touchWeights = touchpoints.map((t) => (t.weight ?? new Decimal(typeWeightOf[t.interactionType]!)));
          const allZeroTouches = touchWeights.every((w) => w.isZero());
          touchpoints.forEach((t, i) => perChannel.set(t.productId, plus(perChannel.get(t.productId) ?? [0n, 1n], allZeroTouches ? [1n, 1n] : frac(touchWeights[i]!))));
          if (touchpoints.length === 0) perChannel.set('(no integration)', [1n, 1n]);
          checkAgainst(split(r, 'weighted', tx), amount, perChannel);
        },
      ),
      { numRuns: 400 },
    );
  });

  /** Lines ("channel units") sum to the amount and each is floor or ceiling of amount × its exact share. */
  function checkAgainst(lines: string[], amount: bigint, shares: Map<string, Frac>): void {
    const got = new Map(lines.map((l) => { const at = l.lastIndexOf(' '); return [l.slice(0, at), BigInt(l.slice(at + 1))] as const; }));
    assert.equal([...got.values()].reduce((s, u) => s + u, 0n), amount);
    const total = [...shares.values()].reduce(plus, [0n, 1n]);
    for (const [channel, [n, d]] of shares) {
      // exact = amount × (n/d) / (total[0]/total[1])
      const num = amount * n * total[1];
      const den = d * total[0];
      const units = got.get(channel) ?? 0n;
      assert.ok(units * den <= num + den && units * den >= num - den, `${channel}: ${units} is not within one unit of ${num}/${den}`);
    }
    for (const channel of got.keys()) assert.ok(shares.has(channel), `unexpected channel ${channel}`);
  }
});

describe('weighted', () => {
  const r = ruleset('  weighted:\n    weights: { view: 0.1, click: 0.3, usage_spike: 0.8, support: 0.2 }');

  test('explicit weights win; else the ruleset weight of the type; trial takes the default 1; summed per channel', () => {
    const tx = event({
      touchpoints: [touch('crm', 'view', h(1)), touch('crm', 'click', h(2)), touch('calls', 'usage_spike', h(3), '0.5'), touch('sms', 'trial', h(4))],
    });
    // crm 0.1 + 0.3 = 0.4, calls 0.5 (explicit), sms 1 → of 1.9: 210526.3, 263157.8, 526315.7 → 210526, 263157, 526315 + 2 leftover (calls .89, sms .78)
    assert.deepEqual(split(r, 'weighted', tx), ['calls 263158', 'crm 210526', 'sms 526316']);
  });

  test('no touchpoints: the account path counts 1 per connection; no path at all: (no integration)', () => {
    const account = ctx({ touchPath: [{ at: h(1), platform: 'hubspot', userId: 'u' }, { at: h(2), platform: 'hubspot', userId: 'u' }, { at: h(3), platform: 'slack', userId: 'u' }] });
    assert.deepEqual(split(r, 'weighted', event(), account), ['hubspot 666667', 'slack 333333']);
    assert.deepEqual(split(r, 'weighted', event()), ['(no integration) 1000000']);
  });

  test('every touch weighing 0 splits equally per touch', () => {
    // per touch, not per channel: a touched twice gets 2 of 3
    assert.deepEqual(split(r, 'weighted', event({ touchpoints: [touch('a', 'view', h(1), '0'), touch('b', 'view', h(2), '0'), touch('a', 'click', h(3), '0')] })), ['a 666667', 'b 333333']);
  });
});

describe('path books on events', () => {
  const r = ruleset('  first_touch: {}\n  last_touch: {}\n  position_based: {}');

  test("the transaction's own touchpoints, ordered by (timestamp, productId), replace the account path", () => {
    const account = ctx({ touchPath: [{ at: h(1), platform: 'hubspot', userId: 'u' }] });
    const tx = event({ touchpoints: [touch('sms', 'view', h(5)), touch('calls', 'view', h(5)), touch('crm', 'click', h(2))] });
    assert.deepEqual(split(r, 'first_touch', tx, account), ['crm 1000000']);
    assert.deepEqual(split(r, 'last_touch', tx, account), ['sms 1000000']);
    // crm, calls, sms: 0.4 / 0.2 / 0.4
    assert.deepEqual(split(r, 'position_based', tx, account), ['calls 200000', 'crm 400000', 'sms 400000']);
  });
});

describe('rules', () => {
  const r = ruleset(`  last_touch: {}
  rules:
    rules:
      - name: Low
        priority: 10
        condition: "true"
        model: first_touch
      - name: Big customer
        priority: 50
        condition: "account.netRevenue['USD'] > 500.0 && account.usageTotal >= 100.0"
        model: pro_rata
      - name: Bundle
        priority: 100
        condition: "event.bundleId == 'ent-bundle-v2'"
        model: pro_rata
      - name: Also bundle
        priority: 100
        condition: "event.bundleId != null"
        model: last_touch
`);
  const weighing = (tx: TransactionFacts, context = ctx()) => {
    const w = weighTransaction(r, 'rules', context, tx);
    return w.kind === 'weights' ? `${w.ruleName}: ${allocateExact(tx.amountUnits, w.weights).map((l) => `${l.channel} ${l.amountUnits}`).join(', ')}` : w.kind;
  };

  test('descending priority, ties in file order; the rule picks its book', () => {
    const tx = event({ bundleId: 'ent-bundle-v2', products: [product('ent-bundle-v2', '1', '1')] });
    assert.equal(weighing(tx), 'Bundle: calls 125000, crm 750000, sms 125000');
    assert.equal(weighing(event({ bundleId: 'other', touchpoints: [touch('crm', 'view', h(1))] })), 'Also bundle: crm 1000000');
  });

  test("a condition on the account's context: net revenue and usage", () => {
    const rich = ctx({ netUnitsByCurrency: new Map([['USD', 6_000_000n]]), usageUnitsByPlatform: new Map([['web', new Decimal(60)], ['hubspot', new Decimal(40)]]) });
    const tx = event({ products: [product('crm', '1', '1')], touchpoints: [touch('sms', 'view', h(1))] });
    assert.equal(weighing(tx, rich), 'Big customer: crm 1000000');
    assert.equal(weighing(tx, ctx({ usageUnitsByPlatform: new Map([['web', new Decimal(99)]]) })), 'Low: sms 1000000');
  });

  test('no rule matches: no_rule_matched, and the decision excludes the payment with that reason', () => {
    const strict = ruleset('  rules:\n    rules:\n      - { name: Only bundles, priority: 1, condition: "event.bundleId != null", model: pro_rata }');
    const account = ctx();
    const tx = event();
    assert.deepEqual(weighTransaction(strict, 'rules', account, tx), { kind: 'no_rule_matched' });
    const [decision] = decideAccountBook({
      ctx: account, book: 'rules', weigh: (t) => weighTransaction(strict, 'rules', account, t), payments: [tx], refunds: [],
      priorAttributedPayments: new Map(), priorAttributedCurrencies: new Set(),
    });
    assert.deepEqual([decision!.status, decision!.reason, decision!.lines], ['excluded', 'no_rule_matched', []]);
  });

  test('a condition that fails on a transaction names the rule and the transaction', () => {
    const eur = ruleset(`  rules:
    rules:
      - { name: Euro, priority: 1, condition: "account.netRevenue['EUR'] > 1.0", model: linear }`);
    assert.throws(() => weighTransaction(eur, 'rules', ctx(), event()), {
      name: 'InvalidInputError',
      message: `rule "Euro": condition "account.netRevenue['EUR'] > 1.0" failed on transaction tx-1: No such key: EUR`,
    });
  });

  test('omitted parameters come from the ruleset block of that book; given ones get their defaults', () => {
    const resolved = ruleset(`  weighted:
    weights: { view: 2 }
  rules:
    rules:
      - { name: A, priority: 1, condition: "true", model: weighted }
      - { name: B, priority: 0, condition: "true", model: weighted, parameters: { weights: { click: 3 } } }
`).books.rules!.rules.map((rule) => rule.parameters);
    assert.deepEqual(resolved, [
      { weights: { view: '2', click: '1', usage_spike: '1', support: '1', trial: '1' }, normalization: 'sum_weights' },
      { weights: { view: '1', click: '3', usage_spike: '1', support: '1', trial: '1' }, normalization: 'sum_weights' },
    ]);
  });
});

describe('refund cascades', () => {
  test('partial refunds reverse what is left of the payment; refunding it all in parts ends at exactly zero', () => {
    const r = ruleset('  linear: {}');
    const account = ctx({ touchPath: [{ at: h(1), platform: 'a', userId: 'u' }, { at: h(2), platform: 'b', userId: 'u' }, { at: h(3), platform: 'c', userId: 'u' }] });
    const pay = csvTransaction({ id: 'p', kind: 'payment', at: h(10), currency: 'USD', amountUnits: 100_000n });
    const refunds = ([['r1', 50_000n], ['r2', 25_000n], ['r3', 25_000n]] as const).map(([id, units], i) => csvTransaction({ id, kind: 'refund', at: h(11 + i), currency: 'USD', amountUnits: units, refundOf: 'p' }));
    const decisions = decideAccountBook({
      ctx: account, book: 'linear', weigh: (t) => weighTransaction(r, 'linear', account, t), payments: [pay], refunds,
      priorAttributedPayments: new Map(), priorAttributedCurrencies: new Set(),
    });
    assert.deepEqual(decisions.map((d) => d.lines.map((l) => `${l.channel} ${l.amountUnits}`).join(', ')), [
      // 33333.3 each → 33333 ×3, the leftover unit to a (equal fractions, then name)
      'a 33334, b 33333, c 33333',
      // 50000 by those lines: a 16667 exactly, b and c 16666.5 → 16666, the leftover unit to b (tie, then name)
      'a -16667, b -16667, c -16666',
      // 25000 by what is left, 16667 / 16666 / 16667 of 50000: a 8333.5, b 8333, c 8333.5 → 8333 each, +1 to a (tie with c, name)
      'a -8334, b -8333, c -8333',
      // 25000 by what is left, 8333 / 8333 / 8334 of 25000: exactly that. (Splitting by the original lines
      // again would give a -8334, b -8333, c -8333 and leave a at -1, c at +1.)
      'a -8333, b -8333, c -8334',
    ]);
    const net = new Map<string, bigint>();
    for (const l of decisions.flatMap((d) => d.lines)) net.set(l.channel, (net.get(l.channel) ?? 0n) + l.amountUnits);
    assert.deepEqual([...net.values()], [0n, 0n, 0n]);
  });

  test('property: any sequence of partial refunds that adds up to the payment leaves every channel at zero', () => {
    const r = ruleset('  weighted: {}');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 5 }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 6 }),
        (touches, amount, parts) => {
          const account = ctx();
          const tx = event({ transactionId: 'p', amountUnits: amount, touchpoints: touches.map(([c, w], i) => touch(c, 'view', h(i), `0.${w}`)) });
          const total = parts.reduce((s, p) => s + p, 0);
          let given = 0n;
          const refunds = parts.map((part, i) => {
            const units = i === parts.length - 1 ? amount - given : (amount * BigInt(part)) / BigInt(total);
            given += units;
            return csvTransaction({ id: `r${i}`, kind: 'refund', at: h(20 + i), currency: 'USD', amountUnits: units, refundOf: 'p' });
          }).filter((rf) => rf.amountUnits > 0n);
          const decisions = decideAccountBook({
            ctx: account, book: 'weighted', weigh: (t) => weighTransaction(r, 'weighted', account, t), payments: [tx], refunds,
            priorAttributedPayments: new Map(), priorAttributedCurrencies: new Set(),
          });
          const net = new Map<string, bigint>();
          for (const l of decisions.flatMap((d) => d.lines)) net.set(l.channel, (net.get(l.channel) ?? 0n) + l.amountUnits);
          assert.ok([...net.values()].every((v) => v === 0n), JSON.stringify([...net].map(([c, v]) => [c, String(v)])));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('errors name their place', () => {
  const rules = (rule: string, extra = '') => `version: t\n${extra}books:\n  rules:\n    rules:\n      - ${rule}\n`;

  test('a condition that does not compile points at the rule and the column', () => {
    assert.deepEqual(problemsOf(rules(`{ name: Upsell, priority: 1, condition: "event.touchpoints.exists(tp => tp.interactionType == 'usage_spike')", model: weighted }`)), [
      'books.rules.rules[0].condition: does not compile at column 29: Unexpected character: = (rule "Upsell")',
    ]);
  });

  test("a field the event does not have (the seed's bundle_id) and a condition that is not true/false", () => {
    assert.deepEqual(problemsOf(rules(`{ name: B, priority: 1, condition: "event.bundle_id == 'x'", model: pro_rata }`)), [
      'books.rules.rules[0].condition: does not compile at column 7: No such key: bundle_id (rule "B")',
    ]);
    assert.deepEqual(problemsOf(rules(`{ name: C, priority: 1, condition: "event.grossAmount", model: pro_rata }`)), [
      'books.rules.rules[0].condition: does not compile: gives a double; a condition must give true or false (rule "C")',
    ]);
  });

  test('unknown model, unknown parameter, negative and all-zero weights, duplicate names, missing priority', () => {
    assert.deepEqual(problemsOf(rules(`{ name: A, priority: 1, condition: "true", model: bayesian }`)), [
      'books.rules.rules[0].model: unknown book "bayesian" for rule "A" (a rule may pick: first_touch, last_touch, linear, markov, position_based, pro_rata, shapley, time_decay, usage_share, weighted)',
    ]);
    assert.deepEqual(problemsOf(rules(`{ name: A, priority: 1, condition: "true", model: weighted, parameters: { weights: { view: -1, hover: 2 } } }`)), [
      'books.rules.rules[0].parameters.weights.hover: unknown interaction type (known: click, support, trial, usage_spike, view)',
      'books.rules.rules[0].parameters.weights.view: must be >= 0 (got -1)',
    ]);
    assert.deepEqual(problemsOf(rules(`{ name: A, priority: 1, condition: "true", model: weighted, parameters: { weights: { view: 0, click: 0, usage_spike: 0, support: 0, trial: 0 } } }`)), [
      'books.rules.rules[0].parameters.weights: are all zero; at least one interaction type must weigh more than 0',
    ]);
    assert.deepEqual(problemsOf(`version: t\nbooks:\n  rules:\n    rules:\n      - { name: A, priority: 1, condition: "true", model: linear }\n      - { name: A, priority: 2, condition: "true", model: linear }\n`), [
      'books.rules.rules[1].name: "A" is the name of an earlier rule; names must be unique (the ledger records them)',
    ]);
    assert.deepEqual(problemsOf(rules('{ name: A, condition: "true", model: linear }')), ['books.rules.rules[0].priority: is required']);
    assert.deepEqual(problemsOf('version: t\ndefault_books: [rules]\nreport: { chosen: rules }\n'), [
      'books.rules: is required: default_books or report.chosen use the rules book, which has no default rules',
    ]);
  });

  test('bundles: a cycle is named, all-zero and negative weights refused', () => {
    assert.deepEqual(problemsOf('version: t\nbundles:\n  a:\n    components: { x: 1, b: 1 }\n  b:\n    components: { c: 1 }\n  c:\n    components: { a: 2 }\n'), [
      'bundles: cycle a → b → c → a: a bundle cannot contain itself, directly or through other bundles',
    ]);
    assert.deepEqual(problemsOf('version: t\nbundles:\n  self:\n    components: { self: 1 }\n'), [
      'bundles: cycle self → self: a bundle cannot contain itself, directly or through other bundles',
    ]);
    assert.deepEqual(problemsOf('version: t\nbundles:\n  z:\n    components: { x: 0, y: 0 }\n  n:\n    components: { x: -1 }\n'), [
      'bundles.n.components.x: must be >= 0 (got -1)',
      'bundles.z.components: weights are all zero',
    ]);
  });

  test('a standalone bundles file is checked the same way, naming the file', () => {
    assert.throws(() => parseBundlesYaml('bundles:\n  a:\n    components: { a: 1 }\n', 'bundles.yaml'), /^RulesetError: ruleset bundles\.yaml: bundles: cycle a → a/);
    assert.deepEqual(parseBundlesYaml('bundles:\n  Suite:\n    components: { " Calls ": 2, sms: 1 }\n', 'b.yaml'), { suite: { components: { calls: '2', sms: '1' } } });
    // Weights keep their exact decimal text (no float on the way).
    assert.deepEqual(parseBundlesYaml('bundles:\n  s:\n    components: { a: 0.1000000000000000000001, b: 2.50 }\n', 'b.yaml'), { s: { components: { a: '0.1000000000000000000001', b: '2.5' } } });
    const problems = (text: string) => {
      try {
        parseBundlesYaml(text, 'b.yaml');
      } catch (e) {
        return e instanceof RulesetError ? [...e.problems] : [String(e)];
      }
      return [];
    };
    assert.deepEqual(problems(''), ['document: is empty (a bundles file has one key, bundles:)']);
    assert.deepEqual(problems('bundle:\n  a:\n    components: { x: 1 }\n'), ['bundle: unknown key (known: bundles)', 'bundles: is required']);
    assert.deepEqual(problems('bundles:\n  a:\n    components: {}\n    extra: 1\n  A:\n    components: { x: "1" }\n'), [
      'bundles.A.components.x: must be a number',
      'bundles.a.components: must list at least one component',
      'bundles.a.extra: unknown key (known: components)',
    ]);
    // Ids are compared once every bundle is well-formed: trimmed and lower-cased, they must be distinct and non-empty.
    assert.deepEqual(problems('bundles:\n  " ":\n    components: { x: 1 }\n  Suite:\n    components: { x: 1 }\n  " SUITE":\n    components: { x: 1 }\n'), [
      'bundles." ": a bundle id must not be empty',
      'bundles." SUITE": is the bundle suite again (ids are trimmed and lower-cased)',
    ]);
  });
});
