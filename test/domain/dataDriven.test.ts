import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { allocateExact } from '../../domain/allocation';
import { bookWeights, learningPlan, type LearnedModels } from '../../domain/books';
import { decayWeight } from '../../domain/books/timeDecay';
import type { AccountContext } from '../../domain/context';
import {
  conversionsThroughChannels, removalEffects, transitionsOfJourneys, weightDecimal, type Journey,
} from '../../domain/markov';
import { powerOfTwoNegative } from '../../domain/powerOfTwo';
import { Rational } from '../../domain/rational';
import { parseRuleset } from '../../domain/ruleset';
import { characteristicFunction, coalitionValue, shapleyValues, type CoalitionCount } from '../../domain/shapley';
import { csvTransaction, type TransactionFacts } from '../../domain/transaction';
import { describe, h, plainWeights, REFERENCE_TIME, rulesetProblems, test } from './helpers';

const RULESET = parseRuleset('version: v', 'test');
const DAY = 86_400_000;
const r = (n: number, d = 1) => Rational.of(n, d);
const plainRationals = (m: ReadonlyMap<string, Rational>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString()]));

/** An account whose touch path is the given (channel, instant) pairs. */
function ctxAt(touches: Array<[string, number]>): AccountContext {
  return {
    accountId: 'acc-1', asOf: h(100_000), firstPaymentAt: h(-100_000), firstRefundAt: null, activeEnd: h(100_000),
    netUnitsByCurrency: new Map([['USD', 1_000_000n]]), connectionWindowsByPlatform: new Map(), usageUnitsByPlatform: new Map(),
    touchPath: touches.map(([platform, at]) => ({ at, platform, userId: 'u1' })), orphanDisconnects: 0, redundantConnects: 0,
  };
}
const TX: TransactionFacts = csvTransaction({ id: 't-1', kind: 'payment', at: REFERENCE_TIME, currency: 'USD', amountUnits: 1_000_000n });
const pathCtx = (channels: string[]) => ctxAt(channels.map((c, i) => [c, REFERENCE_TIME - (channels.length - i) * 1000]));

const journey = (path: string[], converted: boolean, count = 1n): Journey => ({ path, converted, count });

// Worked on paper (docs/data-driven-books.md has the same example):
//   A B → conv, A C → null, B → conv, C → null, A B A → null.
// Counts: start→A 3, start→B 1, start→C 1; A→B 2, A→C 1, A→null 1; B→conv 2, B→A 1; C→null 2.
// x_C = 0, x_B = 2/3 + x_A/3, x_A = x_B/2 → x_A = 2/5, x_B = 4/5, P = 3/5·2/5 + 1/5·4/5 = 2/5.
// Without A: x_B = 2/3, P = 1/5·2/3 = 2/15, effect 1 − (2/15)/(2/5) = 2/3. Without B: P = 0,
// effect 1. Without C: P = 2/5, effect 0.
const CHAIN = [journey(['A', 'B'], true), journey(['A', 'C'], false), journey(['B'], true), journey(['C'], false), journey(['A', 'B', 'A'], false)];

describe('markov', () => {
  test('transition counts of the worked example', () => {
    const t = transitionsOfJourneys(CHAIN, 1).map((x) => `${x.from}>${x.to}=${x.count}`);
    assert.deepEqual(t.sort(), [
      '(start)>["A"]=3', '(start)>["B"]=1', '(start)>["C"]=1', '["A"]>(null)=1', '["A"]>["B"]=2', '["A"]>["C"]=1',
      '["B"]>(conversion)=2', '["B"]>["A"]=1', '["C"]>(null)=2',
    ].sort());
  });

  test('removal effects of a three-channel chain, solved on paper', () => {
    const re = removalEffects(transitionsOfJourneys(CHAIN, 1), conversionsThroughChannels(CHAIN));
    assert.equal(re.conversionProbability.toString(), '2/5');
    assert.deepEqual(plainRationals(re.effects), { A: '2/3', B: '1', C: '0' });
  });

  test('consecutive repeats are collapsed: A A B is A B', () => {
    const collapsed = transitionsOfJourneys([journey(['A', 'A', 'B', 'B'], true)], 1);
    assert.deepEqual(collapsed, transitionsOfJourneys([journey(['A', 'B'], true)], 1));
  });

  test('order 2: states are the last two channels', () => {
    const t = transitionsOfJourneys([journey(['A', 'B', 'C'], true)], 2).map((x) => `${x.from}>${x.to}`);
    assert.deepEqual(t.sort(), ['(start)>["A"]', '["A","B"]>["B","C"]', '["A"]>["A","B"]', '["B","C"]>(conversion)'].sort());
  });

  test('a transaction weighs the removal effects of its distinct channels; all zero → linear', () => {
    const re = removalEffects(transitionsOfJourneys(CHAIN, 1), conversionsThroughChannels(CHAIN));
    const learned: LearnedModels = { removalEffects: new Map([...re.effects].map(([c, v]) => [c, weightDecimal(v)])) };
    const w = bookWeights('markov', pathCtx(['A', 'C', 'B', 'A']), TX, { order: 1 }, RULESET, learned);
    assert.deepEqual(plainWeights(w), [['A', '0.666666666666666666666666666666'], ['B', '1']]);
    // 2/3 : 1 of 100.0000 is 40 : 60 (the truncated 30-digit 2/3 loses a unit that the remainder pass gives back).
    assert.deepEqual(allocateExact(1_000_000n, w), [{ channel: 'A', amountUnits: 400_000n }, { channel: 'B', amountUnits: 600_000n }]);
    assert.deepEqual(plainWeights(bookWeights('markov', pathCtx(['C', 'D']), TX, { order: 1 }, RULESET, learned)), [['C', '1'], ['D', '1']]);
    assert.deepEqual(plainWeights(bookWeights('markov', pathCtx([]), TX, { order: 1 }, RULESET, learned)), [['(no integration)', '1']]);
  });

  test('no conversions at all: every removal effect is 0', () => {
    const journeys = [journey(['A'], false), journey(['B', 'A'], false)];
    const re = removalEffects(transitionsOfJourneys(journeys, 1), conversionsThroughChannels(journeys));
    assert.deepEqual(plainRationals(re.effects), { A: '0', B: '0' });
  });

  test('ruleset: order must be 1..4', () => {
    assert.deepEqual(rulesetProblems('version: v\nbooks:\n  markov: { order: 5 }'), ['books.markov.order: must be a whole number from 1 to 4']);
  });
});

// v({A}) = 2/10, v({B}) = 4/10, v({C}) = 0/5, v({A,B}) = 3/4, v({A,C}) = 1/2, v({A,B,C}) = 2/2, v({B,C}) = 0 (unseen).
// With w(0) = 1/3, w(1) = 1/6, w(2) = 1/3:
//   φ_A = 1/3·1/5 + 1/6·(3/4 − 2/5) + 1/6·(1/2 − 0) + 1/3·(1 − 0) = 65/120 = 13/24
//   φ_B = 1/3·2/5 + 1/6·(3/4 − 1/5) + 1/6·(0 − 0) + 1/3·(1 − 1/2) = 47/120
//   φ_C = 1/3·0 + 1/6·(1/2 − 1/5) + 1/6·(0 − 2/5) + 1/3·(1 − 3/4) = 8/120 = 1/15;   Σ = 1 = v({A,B,C}).
// In {B,C}: φ_B = 1/2·2/5 + 1/2·(0 − 0) = 1/5, φ_C = 1/2·0 + 1/2·(0 − 2/5) = −1/5; Σ = 0 = v({B,C}).
const GAME: CoalitionCount[] = [
  { channels: ['A'], journeys: 10n, conversions: 2n },
  { channels: ['B'], journeys: 10n, conversions: 4n },
  { channels: ['C'], journeys: 5n, conversions: 0n },
  { channels: ['B', 'A'], journeys: 4n, conversions: 3n },
  { channels: ['A', 'C'], journeys: 2n, conversions: 1n },
  { channels: ['C', 'B', 'A'], journeys: 2n, conversions: 2n },
];

describe('shapley', () => {
  const v = characteristicFunction(GAME);

  test('the values of a three-channel game, computed by hand', () => {
    assert.deepEqual(plainRationals(shapleyValues(v, ['A', 'B', 'C'])), { A: '13/24', B: '47/120', C: '1/15' });
    assert.deepEqual(plainRationals(shapleyValues(v, ['B', 'C'])), { B: '1/5', C: '-1/5' });
  });

  test('negative values count as 0, all zero → linear', () => {
    const learned: LearnedModels = { coalitionValues: v };
    const params = { max_channels: 12 };
    assert.deepEqual(plainWeights(bookWeights('shapley', pathCtx(['C', 'B']), TX, params, RULESET, learned)), [['B', '0.2']]);
    assert.deepEqual(plainWeights(bookWeights('shapley', pathCtx(['C']), TX, params, RULESET, learned)), [['C', '1']]);
    const abc = bookWeights('shapley', pathCtx(['A', 'B', 'A', 'C']), TX, params, RULESET, learned);
    assert.deepEqual(plainWeights(abc), [['A', '0.541666666666666666666666666666'], ['B', '0.391666666666666666666666666666'], ['C', '0.066666666666666666666666666666']]);
    // 13/24, 47/120, 1/15 of 100.0000 = 54.1666…, 39.1666…, 6.6666… → remainders go to A and B.
    assert.deepEqual(allocateExact(1_000_000n, abc), [
      { channel: 'A', amountUnits: 541_667n }, { channel: 'B', amountUnits: 391_667n }, { channel: 'C', amountUnits: 66_666n },
    ]);
  });

  test('a coalition keeps its max_channels channels that appear first', () => {
    const learned: LearnedModels = { coalitionValues: v };
    // C, A, B cut to two: {C, A}; φ_A = 1/2·1/5 + 1/2·(1/2 − 0) = 7/20, φ_C = 1/2·0 + 1/2·(1/2 − 1/5) = 3/20.
    const w = bookWeights('shapley', pathCtx(['C', 'A', 'B']), TX, { max_channels: 2 }, RULESET, learned);
    assert.deepEqual(plainWeights(w), [['C', '0.15'], ['A', '0.35']]);
  });
});

describe('time_decay and lookback', () => {
  const touches: Array<[string, number]> = [['hubspot', REFERENCE_TIME - 14 * DAY], ['zapier', REFERENCE_TIME - 7 * DAY], ['hubspot', REFERENCE_TIME]];

  test('half-life 7 days: a touch a week old weighs 1/2, two weeks 1/4', () => {
    const w = bookWeights('time_decay', ctxAt(touches), TX, { half_life_days: '7' }, RULESET);
    assert.deepEqual(plainWeights(w), [['hubspot', '1.25'], ['zapier', '0.5']]);
    // 1.25 : 0.5 of 100.0000 = 71.428571… : 28.571428… → the leftover unit goes to hubspot (.571 > .428).
    assert.deepEqual(allocateExact(1_000_000n, w), [{ channel: 'hubspot', amountUnits: 714_286n }, { channel: 'zapier', amountUnits: 285_714n }]);
  });

  test('half-life 14 days: a week is half a half-life, 2^(−1/2) to 40 digits', () => {
    const w = bookWeights('time_decay', ctxAt(touches), TX, { half_life_days: '14' }, RULESET);
    // 1 + 1/2 for hubspot; 2^(−0.5) = 0.7071067811865475244008443621048490392848 (Python's decimal at 40 digits agrees).
    assert.deepEqual(plainWeights(w), [['hubspot', '1.5'], ['zapier', '0.7071067811865475244008443621048490392848']]);
  });

  test('the power is correctly rounded to 40 digits (values from Python\'s decimal at 120 digits)', () => {
    assert.equal(powerOfTwoNegative(1n, 3n).toFixed(), '0.7937005259840997373758528196361541301957');
    assert.equal(powerOfTwoNegative(130_907n, 1000n).toExponential(), '3.918017375109742554973053275641523735467e-40');
    assert.equal(powerOfTwoNegative(0n, 7n).toFixed(), '1');
    assert.equal(powerOfTwoNegative(3n, 1n).toFixed(), '0.125');
  });

  test('the power equals decimal.js\'s own at 90 digits, rounded to 40, for any exponent (property)', () => {
    const Wide = Decimal.clone({ precision: 90 });
    const exponent = fc.record({ num: fc.bigInt({ min: 0n, max: 10n ** 13n }), den: fc.bigInt({ min: 1n, max: 10n ** 11n }) })
      .filter(({ num, den }) => num / den < 200n); // beyond ~2^-200 the reference's own precision runs short
    fc.assert(fc.property(exponent, ({ num, den }) => {
      const expected = new Wide(2).pow(new Wide(num.toString()).div(den.toString()).neg()).toSignificantDigits(40, Decimal.ROUND_HALF_EVEN);
      assert.equal(powerOfTwoNegative(num, den).toString(), expected.toString(), `2^-(${num}/${den})`);
    }), { numRuns: 300 });
    // Both tables' ends and a fraction just under a whole: 2^-(1023/1024), 2^-(1/2^20), 2^-(1 - 10^-9).
    for (const [num, den] of [[1023n, 1024n], [1n, 2n ** 20n], [999_999_999n, 1_000_000_000n]] as const) {
      const expected = new Wide(2).pow(new Wide(num.toString()).div(den.toString()).neg()).toSignificantDigits(40, Decimal.ROUND_HALF_EVEN);
      assert.equal(powerOfTwoNegative(num, den).toString(), expected.toString());
    }
  });

  test('a touch after the transaction decays by its distance too', () => {
    assert.equal(decayWeight(-7 * DAY, '7').toFixed(), '0.5');
    assert.equal(decayWeight(0, '7').toFixed(), '1');
  });

  test('lookback keeps a touch exactly lookback_days before the transaction and drops one a millisecond older', () => {
    const edge = ctxAt([['hubspot', REFERENCE_TIME - 7 * DAY - 1], ['zapier', REFERENCE_TIME - 7 * DAY], ['slack', REFERENCE_TIME + DAY]]);
    assert.deepEqual(plainWeights(bookWeights('first_touch', edge, TX, { lookback_days: '7' }, RULESET)), [['zapier', '1']]);
    assert.deepEqual(plainWeights(bookWeights('first_touch', edge, TX, {}, RULESET)), [['hubspot', '1']]);
    assert.deepEqual(plainWeights(bookWeights('linear', edge, TX, { lookback_days: '7' }, RULESET)), [['zapier', '1'], ['slack', '1']]);
    // Half a day: 12 hours back is the edge.
    const half = ctxAt([['hubspot', REFERENCE_TIME - 12 * 3_600_000], ['zapier', REFERENCE_TIME - 12 * 3_600_000 - 1]]);
    assert.deepEqual(plainWeights(bookWeights('last_touch', half, TX, { lookback_days: '0.5' }, RULESET)), [['hubspot', '1']]);
    assert.deepEqual(plainWeights(bookWeights('last_touch', edge, TX, { lookback_days: '0' }, RULESET)), [['slack', '1']]);
  });

  test('everything outside the lookback: (no integration)', () => {
    const old = ctxAt([['hubspot', REFERENCE_TIME - 30 * DAY]]);
    assert.deepEqual(plainWeights(bookWeights('time_decay', old, TX, { half_life_days: '7', lookback_days: '7' }, RULESET)), [['(no integration)', '1']]);
  });

  test('ruleset: half_life_days must be positive, lookback_days non-negative', () => {
    assert.deepEqual(rulesetProblems('version: v\nbooks:\n  time_decay: { half_life_days: 0 }'), ['books.time_decay.half_life_days: must be more than 0 days']);
    assert.deepEqual(rulesetProblems('version: v\nbooks:\n  linear: { lookback_days: -1 }'), ['books.linear.lookback_days: must be >= 0 (got -1)']);
  });
});

// Property tests over random journeys of a few channels.
const channel = fc.constantFrom('a', 'b', 'c', 'd', 'x');
const journeys = fc.array(fc.record({ path: fc.array(channel, { maxLength: 6 }), converted: fc.boolean(), count: fc.bigInt({ min: 1n, max: 5n }) }), { minLength: 1, maxLength: 12 });
const amount = fc.bigInt({ min: 1n, max: 10n ** 12n });

function markovLearned(js: Journey[], order = 1): LearnedModels {
  const re = removalEffects(transitionsOfJourneys(js, order), conversionsThroughChannels(js));
  return { removalEffects: new Map([...re.effects].map(([c, v]) => [c, weightDecimal(v)])) };
}
function shapleyLearned(js: Journey[]): LearnedModels {
  const counts = new Map<string, CoalitionCount>();
  for (const j of js) {
    const channels = [...new Set(j.path)];
    const key = JSON.stringify([...channels].sort());
    const c = counts.get(key) ?? { channels, journeys: 0n, conversions: 0n };
    counts.set(key, { channels, journeys: c.journeys + j.count, conversions: c.conversions + (j.converted ? j.count : 0n) });
  }
  return { coalitionValues: characteristicFunction([...counts.values()]) };
}

describe('properties', () => {
  test('weights are non-negative and the lines sum to the amount (markov, shapley, time_decay)', () => {
    fc.assert(fc.property(journeys, fc.array(channel, { maxLength: 6 }), amount, fc.integer({ min: 1, max: 4 }), (js, path, a, order) => {
      const tx = { ...TX, amountUnits: a };
      const c = pathCtx(path);
      for (const w of [
        bookWeights('markov', c, tx, { order }, RULESET, markovLearned(js, order)),
        bookWeights('shapley', c, tx, { max_channels: 12 }, RULESET, shapleyLearned(js)),
        bookWeights('time_decay', c, tx, { half_life_days: '7' }, RULESET),
      ]) {
        assert.ok(w.every((x) => x.weight.gte(0)));
        assert.equal(allocateExact(a, w).reduce((s, l) => s + l.amountUnits, 0n), a);
      }
    }));
  });

  test('time_decay: each channel weighs the exact sum of its touches\' powers, and allocates as those decimals do', () => {
    const touch = fc.tuple(channel, fc.integer({ min: -400 * DAY, max: 400 * DAY }));
    fc.assert(fc.property(fc.array(touch, { minLength: 1, maxLength: 8 }), amount, fc.constantFrom('7', '14', '0.5', '30.25'), (ts, a, half) => {
      const w = bookWeights('time_decay', ctxAt(ts.map(([c, d]) => [c, REFERENCE_TIME + d])), TX, { half_life_days: half }, RULESET);
      const Wide = Decimal.clone({ precision: 1000 });
      for (const { channel: c, weight } of w) {
        const sum = ts.filter(([x]) => x === c).reduce((acc, [, d]) => acc.plus(decayWeight(d, half)), new Wide(0));
        assert.equal(weight.toFixed(), sum.toFixed(), c);
      }
      const decimalsOnly = w.map(({ channel: c, weight }) => ({ channel: c, weight }));
      assert.deepEqual(allocateExact(a, w), allocateExact(a, decimalsOnly));
    }));
  });

  test('markov and shapley: transactions with the same channels share one weights object per learned model', () => {
    fc.assert(fc.property(journeys, fc.array(channel, { maxLength: 6 }), (js, path) => {
      for (const [book, params, learned] of [['markov', { order: 1 }, markovLearned(js)], ['shapley', { max_channels: 12 }, shapleyLearned(js)]] as const) {
        const first = bookWeights(book, pathCtx(path), TX, params, RULESET, learned);
        assert.equal(bookWeights(book, pathCtx(path), { ...TX, transactionId: 'another' }, params, RULESET, learned), first);
        // Another model (another run) builds its own, with the same values here.
        const other = bookWeights(book, pathCtx(path), TX, params, RULESET, book === 'markov' ? markovLearned(js) : shapleyLearned(js));
        assert.notEqual(other, first);
        assert.deepEqual(other, first);
      }
    }));
  });

  test('markov: a channel on no converting journey gets nothing', () => {
    fc.assert(fc.property(journeys, fc.array(channel, { minLength: 1, maxLength: 6 }), (js, path) => {
      const withX = [...js, journey(['x', ...path], false)]; // x on a non-converting journey...
      const noX = withX.map((j) => (j.converted ? { ...j, path: j.path.filter((c) => c !== 'x') } : j)); // ...and on no converting one
      const learned = markovLearned(noX);
      assert.ok(learned.removalEffects!.get('x')!.isZero());
      // Unless the path falls back to linear (every channel on it has effect 0), x is left out.
      const anyPositive = path.some((c) => learned.removalEffects!.get(c)?.gt(0) === true);
      const w = bookWeights('markov', pathCtx(['x', ...path]), TX, { order: 1 }, RULESET, learned);
      assert.equal(w.some((x) => x.channel === 'x'), !anyPositive);
    }));
  });

  test('two channels interchangeable in every journey get equal credit (markov, shapley)', () => {
    const swap = (c: string) => (c === 'x' ? 'y' : c);
    fc.assert(fc.property(journeys, fc.array(channel, { maxLength: 4 }), fc.integer({ min: 1, max: 3 }), (js, path, order) => {
      const mirrored = [...js, ...js.map((j) => ({ ...j, path: j.path.map(swap) }))];
      const c = pathCtx(['x', ...path, 'y']);
      for (const w of [
        bookWeights('markov', c, TX, { order }, RULESET, markovLearned(mirrored, order)),
        bookWeights('shapley', c, TX, { max_channels: 12 }, RULESET, shapleyLearned(mirrored)),
      ]) {
        const of = (ch: string) => w.find((x) => x.channel === ch)?.weight.toFixed() ?? '0';
        assert.equal(of('x'), of('y'));
      }
    }));
  });

  test('shapley: the values of a coalition add up to its value before clamping', () => {
    fc.assert(fc.property(journeys, fc.uniqueArray(channel, { minLength: 1, maxLength: 5 }), (js, coalition) => {
      const v = shapleyLearned(js).coalitionValues!;
      const sum = [...shapleyValues(v, coalition).values()].reduce((s, x) => s.plus(x), Rational.ZERO);
      assert.ok(sum.equals(coalitionValue(v, coalition)));
    }));
  });

  test('markov: with nothing removed the chain converts at the journeys\' conversion rate', () => {
    fc.assert(fc.property(journeys, (js) => {
      const withChannels = js.filter((j) => j.path.length > 0);
      const total = withChannels.reduce((s, j) => s + j.count, 0n);
      const converted = withChannels.reduce((s, j) => s + (j.converted ? j.count : 0n), 0n);
      const re = removalEffects(transitionsOfJourneys(js, 1), conversionsThroughChannels(js));
      assert.ok(re.conversionProbability.equals(total === 0n ? Rational.ZERO : r(Number(converted), Number(total))));
      for (const e of re.effects.values()) assert.ok(e.compare(Rational.ZERO) >= 0 && e.compare(Rational.ONE) <= 0);
    }));
  });

  test('decay weights stay in (0, 1] and are the same digits for the same Δ', () => {
    fc.assert(fc.property(fc.integer({ min: -400 * DAY, max: 400 * DAY }), fc.constantFrom('1', '7', '14', '30.5'), (delta, half) => {
      const w = decayWeight(delta, half);
      assert.ok(w.gt(0) && w.lte(1));
      assert.equal(w.toFixed(), decayWeight(-delta, half).toFixed());
      assert.ok(new Decimal(w).eq(decayWeight(delta, half)));
    }));
  });
});

describe('rules that pick a data-driven book', () => {
  const rules = (params: string) => `version: v
books:
  markov: { order: 2 }
  rules:
    rules:
      - { name: M, priority: 1, condition: "true", model: markov${params} }
default_books: [rules]
report: { chosen: rules }
`;

  test('use the model of the ruleset\'s own block, which the run learns', () => {
    const ruleset = parseRuleset(rules(''), 'r.yaml');
    assert.deepEqual(learningPlan(ruleset, ['rules']), { markovOrder: 2, shapleyMaxChannels: null });
    assert.deepEqual(learningPlan(ruleset, ['first_touch']), { markovOrder: null, shapleyMaxChannels: null });
    assert.deepEqual(learningPlan(parseRuleset('version: v', 'x'), ['shapley', 'time_decay']), { markovOrder: null, shapleyMaxChannels: 12 });
  });

  test('a rule that asks for another order is refused: the chain is learned once per run', () => {
    assert.deepEqual(rulesetProblems(rules(', parameters: { order: 3 }')), [
      'books.rules.rules[0].parameters.order: must be 2, the order of books.markov (the model is learned once per run), got 3 (rule "M")',
    ]);
    assert.doesNotThrow(() => parseRuleset(rules(', parameters: { order: 2, lookback_days: 30 }'), 'r.yaml'));
  });
});
