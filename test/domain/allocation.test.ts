import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { allocateExact, reusedWeights, weightsFromIntegers, type AllocationLine } from '../../domain/allocation';
import { InvalidInputError } from '../../domain/errors';
import { describe, test, weights } from './helpers';

const lines = (pairs: Array<[string, bigint]>): AllocationLine[] => pairs.map(([channel, amountUnits]) => ({ channel, amountUnits }));

describe('allocateExact: worked examples', () => {
  test('an exact split needs no leftover', () => {
    assert.deepEqual(allocateExact(1_000_000n, weights([['hubspot', '0.6'], ['zapier', '0.4']])), lines([['hubspot', 600_000n], ['zapier', 400_000n]]));
  });

  test('the leftover unit goes to the largest truncated fraction', () => {
    // 7 × (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4 → 3, 2, 1 and one unit left; x has the largest fraction (.5).
    assert.deepEqual(allocateExact(7n, weights([['x', '0.5'], ['y', '0.3'], ['z', '0.2']])), lines([['x', 4n], ['y', 2n], ['z', 1n]]));
  });

  test('equal fractions: the leftover goes by channel name ascending', () => {
    // 100 / 3 = 33.33 each, one unit left, all fractions equal → "a" (first by name) gets it.
    assert.deepEqual(allocateExact(100n, weights([['c', 1], ['b', 1], ['a', 1]])), lines([['a', 34n], ['b', 33n], ['c', 33n]]));
    // 2 units left over: the two first names get one each.
    assert.deepEqual(
      allocateExact(999_999_999_999_999_998n, weights([['c', 1], ['a', 1], ['b', 1]])),
      lines([['a', 333_333_333_333_333_333n], ['b', 333_333_333_333_333_333n], ['c', 333_333_333_333_333_332n]]),
    );
  });

  test('weights need not sum to 1', () => {
    // 10 × 3/4 = 7.5 → 7, 10 × 1/4 = 2.5 → 2; equal fractions, "a" gets the unit.
    assert.deepEqual(allocateExact(10n, weights([['b', 3], ['a', 1]])), lines([['a', 3n], ['b', 7n]]));
  });

  test('negative amounts are the mirror image of the positive ones', () => {
    assert.deepEqual(allocateExact(-7n, weights([['x', '0.5'], ['y', '0.3'], ['z', '0.2']])), lines([['x', -4n], ['y', -2n], ['z', -1n]]));
    assert.deepEqual(allocateExact(-100n, weights([['a', 1], ['b', 1], ['c', 1]])), lines([['a', -34n], ['b', -33n], ['c', -33n]]));
  });

  test('99999999999999.9999 split in thirds', () => {
    const third = new Decimal(1).div(3); // 0.33333333333333333333, the same for all three
    const w = [{ channel: 'a', weight: third }, { channel: 'b', weight: third }, { channel: 'c', weight: third }];
    assert.deepEqual(allocateExact(999_999_999_999_999_999n, w), lines([['a', 333_333_333_333_333_333n], ['b', 333_333_333_333_333_333n], ['c', 333_333_333_333_333_333n]]));
    assert.deepEqual(allocateExact(999_999_999_999_999_999n, weights([['a', 1], ['b', 2]])), lines([['a', 333_333_333_333_333_333n], ['b', 666_666_666_666_666_666n]]));
  });

  test('a big amount times long-fraction weights stays exact', () => {
    // A × 0.1234567890123456789012345 = 123456789012345678.777…, A × 0.8765432109876543210987655 =
    // 876543210987654320.222…; one unit left, it goes to a (fraction .777…).
    const w = weights([['a', '0.1234567890123456789012345'], ['b', '0.8765432109876543210987655']]);
    assert.deepEqual(allocateExact(999_999_999_999_999_999n, w), lines([['a', 123_456_789_012_345_679n], ['b', 876_543_210_987_654_320n]]));
  });

  test('zero lines are omitted and lines are sorted by channel', () => {
    assert.deepEqual(allocateExact(5n, weights([['zapier', 1], ['hubspot', 0]])), lines([['zapier', 5n]]));
    // 1 unit over two equal weights: "alpha" gets it, "zeta" would get 0 and is left out.
    assert.deepEqual(allocateExact(1n, weights([['zeta', 1], ['alpha', 1]])), lines([['alpha', 1n]]));
    assert.deepEqual(allocateExact(0n, weights([['a', 1]])), []);
  });

  test('invalid weights throw', () => {
    assert.throws(() => allocateExact(10n, weights([['a', -1], ['b', 2]])), InvalidInputError);
    assert.throws(() => allocateExact(10n, weights([['a', -1], ['b', 2]])), /weight of "a" is negative \(-1\)/);
    assert.throws(() => allocateExact(10n, weights([['a', 0], ['b', 0]])), /must sum to more than 0/);
    assert.throws(() => allocateExact(10n, []), /must sum to more than 0 \(channels: none\)/);
    assert.throws(() => allocateExact(10n, weights([['a', 1], ['a', 2]])), /channel "a" appears twice/);
    assert.throws(() => allocateExact(10n, [{ channel: 'a', weight: new Decimal(NaN) }]), /not a finite number/);
    assert.throws(() => allocateExact(10n, [{ channel: 'a', weight: new Decimal(Infinity) }]), /not a finite number/);
  });
});

describe('allocateExact: properties', () => {
  const amount = fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n });
  // Decimal weights with up to 8 decimals, at least one of them positive.
  const weightList = fc
    .uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 8 })), {
      minLength: 1,
      maxLength: 8,
      selector: ([channel]) => channel,
    })
    .filter((list) => list.some(([, units]) => units > 0n))
    .map((list) => list.map(([channel, units, scale]) => ({ channel, weight: new Decimal(units.toString()).div(10 ** scale) })));

  test('the lines sum exactly to the amount, none is zero, they are sorted', () => {
    fc.assert(
      fc.property(amount, weightList, (a, w) => {
        const result = allocateExact(a, w);
        assert.equal(result.reduce((s, l) => s + l.amountUnits, 0n), a);
        assert.ok(result.every((l) => l.amountUnits !== 0n && (a > 0n ? l.amountUnits > 0n : l.amountUnits < 0n)));
        assert.deepEqual(result.map((l) => l.channel), [...result.map((l) => l.channel)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
      }),
    );
  });

  test('the result is deterministic and independent of the order of the weights', () => {
    fc.assert(
      fc.property(amount, weightList.chain((w) => fc.tuple(fc.constant(w), fc.shuffledSubarray(w, { minLength: w.length, maxLength: w.length }))), (a, [w, shuffled]) => {
        assert.deepEqual(allocateExact(a, shuffled), allocateExact(a, w));
        assert.deepEqual(allocateExact(a, w), allocateExact(a, w));
      }),
    );
  });

  test('each line is within one unit of its exact share, and a refund mirrors its payment', () => {
    fc.assert(
      fc.property(amount, weightList, (a, w) => {
        const total = w.reduce((s, x) => s.plus(x.weight), new Decimal(0));
        for (const line of allocateExact(a, w)) {
          const weight = w.find((x) => x.channel === line.channel)?.weight ?? new Decimal(0);
          // |line × W − A × w| < W, compared in Decimal with plenty of digits.
          const D = Decimal.clone({ precision: 200 });
          const diff = new D(line.amountUnits.toString()).times(total).minus(new D(a.toString()).times(weight)).abs();
          assert.ok(diff.lt(total), `${line.channel}: ${line.amountUnits} too far from its share`);
        }
        assert.deepEqual(allocateExact(-a, w), allocateExact(a, w).map((l) => ({ ...l, amountUnits: -l.amountUnits })));
      }),
    );
  });

  // Books may hand over weights with their integer form (domain/allocation.ts): a shared weights
  // object scaled once, or integers a book computed itself. Either must allocate exactly as the
  // decimals alone do, whatever the common factor of the integers.
  test('weights with their integer form allocate exactly as the same decimals', () => {
    const plain = (w: ReadonlyArray<{ channel: string; weight: Decimal }>) => w.map(({ channel, weight }) => ({ channel, weight }));
    fc.assert(
      fc.property(amount, weightList, fc.integer({ min: 0, max: 40 }), (a, w, extraDigits) => {
        const scale = Math.max(...w.map((x) => x.weight.decimalPlaces())) + extraDigits;
        const integers = w.map((x) => ({ ...x, integer: BigInt(x.weight.times(new Decimal(10).pow(scale)).toFixed(0)) }));
        const expected = allocateExact(a, plain(w));
        assert.deepEqual(allocateExact(a, weightsFromIntegers(integers)), expected);
        const shared = reusedWeights(plain(w));
        assert.deepEqual(allocateExact(a, shared), expected);
        assert.deepEqual(allocateExact(a, shared), expected);
        assert.deepEqual(shared, plain(w), 'the integer form is not part of the weights a reader sees');
      }),
    );
  });

  test('integer weights are refused when negative or all zero', () => {
    assert.throws(() => weightsFromIntegers([{ channel: 'a', weight: new Decimal(1), integer: -1n }, { channel: 'b', weight: new Decimal(2), integer: 2n }]), /non-negative and sum to more than 0 \(channels: a, b\)/);
    assert.throws(() => weightsFromIntegers([{ channel: 'a', weight: new Decimal(0), integer: 0n }]), /sum to more than 0/);
  });
});
