import { Decimal } from 'decimal.js';
import { InvalidInputError } from './errors';

// 2^(−x) for a non-negative rational x, to 40 significant digits, in integer arithmetic only, for
// the time-decay book (docs/data-driven-books.md). decimal.js's own pow gives the same digits but
// costs about a millisecond a call. Here x = whole + fraction: 2^(−whole) is exact (5^whole /
// 10^whole), and 2^(−fraction) is a product of two table entries (the fraction's first 10 bits and
// its next 10) and exp(−ε ln 2) for the rest ε < 2^−20, whose series needs about a dozen terms.
// Every step keeps 75 digits (35 guard digits) in bigints, and the result is rounded once, half
// even. It is the correctly rounded value except when the exact one lies within 10^−70 relative of
// a rounding boundary; either way it is the same on every machine: no float is involved.

export const DECAY_SIGNIFICANT_DIGITS = 40;
const WORKING_DIGITS = 75;
const SCALE = 10n ** BigInt(WORKING_DIGITS);
// ln 2 to 110 digits (Python's decimal), cut to the working precision.
const LN2 = BigInt('69314718055994530941723212145817656807550013436025525412068000949339362196969471560586332699641868754200148102'.slice(0, WORKING_DIGITS));
/** The fraction's bits taken from each of the two tables (2^10 entries each, filled as needed). */
const TABLE_BITS = 10n;
const TABLE_MASK = (1 << Number(TABLE_BITS)) - 1;

/** A decimal as coefficient × 10^exponent: what the time-decay book sums in bigints. */
export interface ScaledDecimal {
  coefficient: bigint;
  exponent: number;
}

/** 2^(−num/den), num ≥ 0, den > 0, rounded half even to 40 significant digits. */
export function powerOfTwoNegative(num: bigint, den: bigint): Decimal {
  const { coefficient, exponent } = scaledPowerOfTwoNegative(num, den);
  return new Decimal(`${coefficient}e${exponent}`);
}

/** powerOfTwoNegative's value, as a coefficient of at most 40 digits and a power of ten. */
export function scaledPowerOfTwoNegative(num: bigint, den: bigint): ScaledDecimal {
  if (num < 0n || den <= 0n) throw new InvalidInputError(`powerOfTwoNegative: needs num >= 0 and den > 0 (got ${num}/${den})`);
  const whole = num / den;
  // fraction/den = j / 2^20 + ε: j picks the table entries, ε = rest / (den × 2^20).
  const scaled = (num % den) << (2n * TABLE_BITS);
  const j = scaled / den;
  const rest = scaled - j * den;
  const y = ((rest * LN2) / den) >> (2n * TABLE_BITS);
  const table = Number(j);
  const fraction = (((coarse(table >> Number(TABLE_BITS)) * fine(table & TABLE_MASK)) / SCALE) * expNegative(y)) / SCALE;
  // 2^(−whole) = 5^whole / 10^whole, so the value is exactly fraction × 5^whole × 10^−(WORKING_DIGITS + whole).
  return rounded(fraction * powerOfFive(whole), WORKING_DIGITS + Number(whole));
}

/** exp(−y / SCALE) × SCALE for 0 ≤ y < SCALE, by its series (few terms when y is small). */
function expNegative(y: bigint): bigint {
  let term = SCALE;
  let sum = SCALE;
  // One division per term by SCALE × k: the same integer as dividing by SCALE, then by k
  // (truncating twice toward zero is truncating once by the product).
  for (let k = 1; term !== 0n; k++) {
    term = -(term * y) / scaleTimes(k);
    sum += term;
  }
  return sum;
}

const scaleTimesTable: bigint[] = [];
const scaleTimes = (k: number) => (scaleTimesTable[k] ??= SCALE * BigInt(k));

const coarseTable: bigint[] = [];
const fineTable: bigint[] = [];
/** 2^(−i / 2^10) × SCALE. */
const coarse = (i: number) => (coarseTable[i] ??= tableEntry(i, TABLE_BITS));
/** 2^(−i / 2^20) × SCALE. */
const fine = (i: number) => (fineTable[i] ??= tableEntry(i, 2n * TABLE_BITS));

/** 2^(−i / 2^bits) × SCALE: the series on a 256th of the exponent, squared back eight times. */
function tableEntry(i: number, bits: bigint): bigint {
  let power = expNegative(((BigInt(i) * LN2) >> bits) >> 8n);
  for (let k = 0; k < 8; k++) power = (power * power) / SCALE;
  return power;
}

const fives: bigint[] = [];
const powerOfFive = (n: bigint) => (fives[Number(n)] ??= 5n ** n);
const tens: bigint[] = [];
/** 10^n as a bigint, each computed once. */
export const powerOfTen = (n: number) => (tens[n] ??= 10n ** BigInt(n));

/** value × 10^−scale rounded half even to DECAY_SIGNIFICANT_DIGITS significant digits. */
function rounded(value: bigint, scale: number): ScaledDecimal {
  const cut = value.toString().length - DECAY_SIGNIFICANT_DIGITS;
  if (cut <= 0) return { coefficient: value, exponent: -scale };
  const unit = powerOfTen(cut);
  let kept = value / unit;
  const twiceRest = (value - kept * unit) * 2n;
  if (twiceRest > unit || (twiceRest === unit && (kept & 1n) === 1n)) kept += 1n;
  return { coefficient: kept, exponent: cut - scale };
}
