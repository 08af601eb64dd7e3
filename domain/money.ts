import { InvalidInputError } from './errors';

// Money in the domain is an integer count of 0.0001 currency units (a bigint), never a float:
// NUMERIC(18,4) in Postgres maps one-to-one onto it and sums stay exact.

/** Number of decimals that one unit represents (1 unit = 0.0001 of a currency unit). */
export const AMOUNT_DECIMALS = 4;
export const UNITS_PER_CURRENCY_UNIT = 10_000n;

// Plain decimal notation only: an optional minus sign, digits, and at most 4 decimals. Exponents,
// thousands separators, a leading "+" or surrounding spaces are rejected so that a malformed
// billing value fails loudly instead of being guessed at.
const AMOUNT_PATTERN = /^(-?)(\d+)(?:\.(\d{1,4}))?$/;

/** Parses a decimal amount such as "12", "12.5", "0.0001" or "-3.25" into units of 0.0001. */
export function parseAmountUnits(s: string): bigint {
  const match = AMOUNT_PATTERN.exec(s);
  if (match === null) {
    throw new InvalidInputError(
      `invalid amount ${JSON.stringify(s)}: expected a decimal number with at most ${AMOUNT_DECIMALS} decimals`,
    );
  }
  const [, sign = '', whole = '0', fraction = ''] = match;
  const units = BigInt(whole) * UNITS_PER_CURRENCY_UNIT + BigInt(fraction.padEnd(AMOUNT_DECIMALS, '0'));
  return sign === '-' ? -units : units;
}

/** Formats units with exactly 4 decimals: 125000n → "12.5000", -5n → "-0.0005". */
export function formatUnits(u: bigint): string {
  const negative = u < 0n;
  const magnitude = negative ? -u : u;
  const whole = magnitude / UNITS_PER_CURRENCY_UNIT;
  const fraction = (magnitude % UNITS_PER_CURRENCY_UNIT).toString().padStart(AMOUNT_DECIMALS, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}
