// Seeded pseudo-random numbers for the dataset generator.
//
// sfc32 ("Small Fast Counting", Chris Doty-Humphrey, from PractRand): 128 bits of state, 32-bit
// output, a guaranteed minimum period of 2^32 thanks to its counter word and good statistical
// quality; it needs only 32-bit integer operations, which V8 runs without allocating. It is not
// cryptographic, which is fine: we only need reproducible, well-spread test data.
//
// Each account gets its own stream: `reseed(seed, account)` hashes (seed, account) into a fresh
// state with splitmix32/murmur3-style finalisers. An account's rows therefore depend only on the
// seed and the account number, never on how many numbers earlier accounts consumed, and one
// generator object is reused for all accounts (no allocation per account).

/** murmur3's 32-bit finaliser: a bijective avalanche mix of one 32-bit word. */
export function fmix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const TWO_POW_32 = 4294967296;

export class Sfc32 {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 1;

  constructor(seed = 0, stream = 0) {
    this.reseed(seed, stream);
  }

  /** Restarts the generator on the stream identified by (seed, stream); both are 32-bit unsigned. */
  reseed(seed: number, stream: number): void {
    const s = fmix32(seed ^ 0x9e3779b9);
    const t = fmix32((stream + 0x7f4a7c15) | 0);
    this.a = fmix32(s ^ t);
    this.b = fmix32((s + Math.imul(t, 0x2545f491)) ^ 0x68e31da4);
    this.c = fmix32((t + Math.imul(s, 0x6c8e9cf5)) ^ 0xb5297a4d);
    this.d = 1;
    // Discard the first outputs so that close seeds/streams diverge fully (as sfc32's author does).
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    this.d = (this.d + 1) | 0;
    const t = (((a + b) | 0) + this.d) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. Used for choices, never for money. */
  float(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32 (0 when n <= 0). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.nextU32() / TWO_POW_32) * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.nextU32() / TWO_POW_32 < p;
  }

  /** Index drawn from cumulative weights (ascending, last one = 1). */
  pick(cumulative: readonly number[]): number {
    const r = this.float();
    const last = cumulative.length - 1;
    for (let i = 0; i < last; i++) {
      if (r < (cumulative[i] as number)) return i;
    }
    return last;
  }
}

/** Turns relative weights into the ascending cumulative form that `Sfc32.pick` takes. */
export function cumulative(weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  let acc = 0;
  return weights.map((w) => (acc += w) / total);
}
