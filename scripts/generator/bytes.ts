// A growable ASCII byte buffer that the account generator writes CSV lines into.
//
// Building millions of rows as JS strings costs a string (and often a rope) per concatenation,
// garbage collection, and a UTF-8 encoding pass on write. Writing bytes straight into a reused
// Uint8Array costs none of that: integers are written digit by digit, and constant pieces (platform
// names, timestamp prefixes) are copied from precomputed byte tables. All generated text is ASCII.

export const COMMA = 0x2c;
export const NEWLINE = 0x0a;
export const DOT = 0x2e;
export const SEMICOLON = 0x3b;
const ZERO = 0x30;

/** ASCII bytes of a string (throws on non-ASCII, which the generator never produces). */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) throw new Error(`non-ASCII character in ${JSON.stringify(text)}`);
    out[i] = c;
  }
  return out;
}

export class ByteBuilder {
  buf: Uint8Array;
  len = 0;

  constructor(capacity = 64 * 1024) {
    this.buf = new Uint8Array(capacity);
  }

  reset(): void {
    this.len = 0;
  }

  /** Makes room for `extra` more bytes; callers reserve once per line, then write unchecked. */
  reserve(extra: number): void {
    if (this.len + extra > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
  }

  byte(c: number): void {
    this.buf[this.len++] = c;
  }

  /** Copies `src[start, start + n)`. */
  copy(src: Uint8Array, start: number, n: number): void {
    const buf = this.buf;
    let at = this.len;
    for (let i = 0; i < n; i++) buf[at++] = src[start + i] as number;
    this.len = at;
  }

  all(src: Uint8Array): void {
    this.copy(src, 0, src.length);
  }

  /** Decimal digits of a non-negative safe integer. */
  uint(n: number): void {
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    const buf = this.buf;
    let at = this.len + digits;
    this.len = at;
    let rest = n;
    do {
      const q = Math.floor(rest / 10);
      buf[--at] = ZERO + (rest - q * 10);
      rest = q;
    } while (rest > 0);
  }

  /**
   * A non-negative integer amount of 0.0001 units as a decimal: 199900 → `19.9900` (fixed) or
   * `19.99` (trimmed; 490000 → `49`). Integer arithmetic only.
   */
  units(units: number, trimmed: boolean): void {
    const fraction = units % 10_000;
    this.uint((units - fraction) / 10_000);
    if (trimmed && fraction === 0) return;
    const d1 = Math.floor(fraction / 1000);
    const d2 = Math.floor(fraction / 100) % 10;
    const d3 = Math.floor(fraction / 10) % 10;
    const d4 = fraction % 10;
    const buf = this.buf;
    let at = this.len;
    buf[at++] = DOT;
    buf[at++] = ZERO + d1;
    if (!trimmed || d2 + d3 + d4 > 0) buf[at++] = ZERO + d2;
    if (!trimmed || d3 + d4 > 0) buf[at++] = ZERO + d3;
    if (!trimmed || d4 > 0) buf[at++] = ZERO + d4;
    this.len = at;
  }

  toString(): string {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.len).toString('latin1');
  }
}
