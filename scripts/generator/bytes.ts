// A growable ASCII byte buffer that the account generator writes CSV lines into.
//
// Building millions of rows as JS strings costs a string (and often a rope) per concatenation,
// garbage collection, and an encoding pass on write. Writing bytes straight into a reused buffer
// costs none of that. Constant pieces (ids of the account's users, platform names, timestamp parts)
// are precomputed as little-endian 32-bit words and written 4 bytes at a time through a DataView,
// which V8 compiles to plain stores: a 20-byte timestamp is 6 stores instead of a 20-step byte loop.
// A word write may spill up to 3 bytes past the piece; they are overwritten by what follows or lie
// beyond `len` (never emitted), and `reserve()` keeps room for them. All generated text is ASCII.

export const COMMA = 0x2c;
export const NEWLINE = 0x0a;
export const SEMICOLON = 0x3b;
const DOT = 0x2e;
const ZERO = 0x30;
/** Bytes a word write may spill past the end of a piece. */
const SPILL = 4;

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

/** Packs bytes into little-endian 32-bit words at `words[wordOffset…]`, zero-padding the last one. */
export function packWords(bytes: Uint8Array, length: number, words: Uint32Array, wordOffset: number): void {
  for (let k = 0; k * 4 < length; k++) {
    let w = 0;
    for (let j = 3; j >= 0; j--) w = (w << 8) | (k * 4 + j < length ? (bytes[k * 4 + j] as number) : 0);
    words[wordOffset + k] = w >>> 0;
  }
}

/** A constant piece of text, ready for `ByteBuilder.piece`. */
export class AsciiPiece {
  readonly words: Uint32Array;
  readonly length: number;
  constructor(text: string) {
    const bytes = asciiBytes(text);
    this.length = bytes.length;
    this.words = new Uint32Array(Math.ceil(bytes.length / 4));
    packWords(bytes, bytes.length, this.words, 0);
  }
}

export class ByteBuilder {
  buf: Uint8Array;
  len = 0;
  private view: DataView;

  constructor(capacity = 64 * 1024) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.len = 0;
  }

  /** Makes room for `extra` more bytes; callers reserve once per line (or batch), then write unchecked. */
  reserve(extra: number): void {
    const need = this.len + extra + SPILL;
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, need));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
  }

  byte(c: number): void {
    this.buf[this.len++] = c;
  }

  /** Writes `length` bytes packed as words at `words[wordOffset…]` (see packWords). */
  words(words: Uint32Array, wordOffset: number, length: number): void {
    const view = this.view;
    const at = this.len;
    for (let k = 0; k * 4 < length; k++) view.setUint32(at + k * 4, words[wordOffset + k] as number, true);
    this.len = at + length;
  }

  piece(p: AsciiPiece): void {
    this.words(p.words, 0, p.length);
  }

  /** Decimal digits of a non-negative safe integer. */
  uint(n: number): void {
    const buf = this.buf;
    if (n < 0x80000000) {
      // Int32 arithmetic: division by 10 compiles to a multiplication.
      let v = n | 0;
      let at = this.len + (v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5
        : v < 1000000 ? 6 : v < 10000000 ? 7 : v < 100000000 ? 8 : v < 1000000000 ? 9 : 10);
      this.len = at;
      do {
        const q = (v / 10) | 0;
        buf[--at] = ZERO + v - q * 10;
        v = q;
      } while (v > 0);
      return;
    }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
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
