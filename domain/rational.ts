import { Decimal } from 'decimal.js';
import { InvalidInputError } from './errors';

// Exact fractions of bigints, for the data-driven books (docs/data-driven-books.md): Markov
// absorption probabilities and Shapley values are ratios of counts, and computing them as
// fractions makes them the same on every machine, with no rounding until the one conversion to a
// weight at the end (`toFixedDecimal`).

const abs = (n: bigint): bigint => (n < 0n ? -n : n);

function gcd(a: bigint, b: bigint): bigint {
  let x = abs(a);
  let y = abs(b);
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

/** An immutable fraction in lowest terms with a positive denominator. */
export class Rational {
  readonly num: bigint;
  readonly den: bigint;

  private constructor(num: bigint, den: bigint) {
    this.num = num;
    this.den = den;
  }

  static of(num: bigint | number, den: bigint | number = 1n): Rational {
    const n = BigInt(num);
    const d = BigInt(den);
    if (d === 0n) throw new InvalidInputError('rational: division by zero');
    const sign = d < 0n ? -1n : 1n;
    const g = gcd(n, d) || 1n;
    return new Rational((sign * n) / g, (sign * d) / g);
  }

  static readonly ZERO = Rational.of(0n);
  static readonly ONE = Rational.of(1n);

  plus(o: Rational): Rational {
    return Rational.of(this.num * o.den + o.num * this.den, this.den * o.den);
  }

  minus(o: Rational): Rational {
    return Rational.of(this.num * o.den - o.num * this.den, this.den * o.den);
  }

  times(o: Rational): Rational {
    return Rational.of(this.num * o.num, this.den * o.den);
  }

  div(o: Rational): Rational {
    if (o.num === 0n) throw new InvalidInputError('rational: division by zero');
    return Rational.of(this.num * o.den, this.den * o.num);
  }

  isZero(): boolean {
    return this.num === 0n;
  }

  isNegative(): boolean {
    return this.num < 0n;
  }

  equals(o: Rational): boolean {
    return this.num === o.num && this.den === o.den;
  }

  compare(o: Rational): number {
    const l = this.num * o.den;
    const r = o.num * this.den;
    return l < r ? -1 : l > r ? 1 : 0;
  }

  toString(): string {
    return this.den === 1n ? this.num.toString() : `${this.num}/${this.den}`;
  }

  /**
   * The value with `places` decimals, truncated toward zero: the only rounding a data-driven
   * weight goes through, done in integers, so every machine writes the same digits.
   */
  toFixedDecimal(places: number): Decimal {
    const scale = 10n ** BigInt(places);
    const scaled = (abs(this.num) * scale) / this.den;
    const digits = scaled.toString().padStart(places + 1, '0');
    const text = `${this.num < 0n ? '-' : ''}${digits.slice(0, digits.length - places)}.${digits.slice(digits.length - places)}`;
    return new Decimal(text);
  }
}
