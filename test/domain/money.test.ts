import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidInputError } from '../../domain/errors';
import { formatUnits, parseAmountUnits } from '../../domain/money';
import { describe, test } from './helpers';

describe('parseAmountUnits', () => {
  const cases: Array<[string, bigint]> = [
    ['12', 120000n],
    ['12.5', 125000n],
    ['0.0001', 1n],
    ['-3.25', -32500n],
    ['0', 0n],
    ['-0.0005', -5n],
    ['007.10', 71000n],
    ['99999999999999.9999', 999999999999999999n],
  ];
  for (const [text, units] of cases) {
    test(`"${text}" is ${units} units`, () => assert.equal(parseAmountUnits(text), units));
  }

  const rejected = ['1.23456', 'abc', '', '1e3', ' 1', '1 ', '1.', '.5', '+1', '1,000', '--1', '0x10', 'NaN'];
  for (const text of rejected) {
    test(`rejects ${JSON.stringify(text)} and names it`, () => {
      assert.throws(() => parseAmountUnits(text), (e: Error) => e instanceof InvalidInputError && e.message.includes(JSON.stringify(text)));
    });
  }
});

describe('formatUnits', () => {
  const cases: Array<[bigint, string]> = [
    [125000n, '12.5000'],
    [-5n, '-0.0005'],
    [0n, '0.0000'],
    [1n, '0.0001'],
    [-32500n, '-3.2500'],
    [999999999999999999n, '99999999999999.9999'],
    [123456789012345678901234n, '12345678901234567890.1234'],
  ];
  for (const [units, text] of cases) {
    test(`${units} units is "${text}"`, () => assert.equal(formatUnits(units), text));
  }

  test('parse after format gives back the units', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (u) => parseAmountUnits(formatUnits(u)) === u));
  });
});
