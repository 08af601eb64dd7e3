// The months of a generated dataset, and timestamps written as bytes without per-row Date objects.
//
// Time inside the generator is an integer number of seconds since the start of the dataset's range
// (the first instant of the start month, UTC). The calendar is computed once with Date.UTC; after
// that a timestamp is two word copies from precomputed tables (see bytes.ts): the day's
// `2024-03-05T` and the second's `10:04:11Z`.

import type { ByteBuilder } from './bytes';
import { asciiBytes, packWords } from './bytes';

export const SECONDS_PER_DAY = 86_400;
const DAY_PREFIX_BYTES = 11; // 2024-03-05T
const TIME_BYTES = 9; // 10:04:11Z

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `HH:MM:SSZ` of every second of a day as 3 packed words each, built once (1 MB). */
let timeOfDay: Uint32Array | undefined;
function timeOfDayTable(): Uint32Array {
  if (timeOfDay === undefined) {
    const table = new Uint32Array(SECONDS_PER_DAY * 3);
    for (let s = 0; s < SECONDS_PER_DAY; s++) {
      const h = Math.floor(s / 3600);
      const m = Math.floor(s / 60) % 60;
      packWords(asciiBytes(`${pad2(h)}:${pad2(m)}:${pad2(s % 60)}Z`), TIME_BYTES, table, s * 3);
    }
    timeOfDay = table;
  }
  return timeOfDay;
}

export class Calendar {
  /** Length of the range in seconds: valid relative instants are [0, rangeSeconds). */
  readonly rangeSeconds: number;
  /** Relative second at which each month starts; months + 1 entries (the last is the range end). */
  readonly monthStart: number[] = [];
  /** Days in each month of the range. */
  readonly daysInMonth: number[] = [];
  /** `YYYY-MM-DDT` of each day of the range, 3 packed words each. */
  private readonly dayPrefix: Uint32Array;
  private readonly tod: Uint32Array;

  constructor(startYear: number, startMonth: number, readonly months: number) {
    const startMs = Date.UTC(startYear, startMonth - 1, 1);
    for (let m = 0; m <= months; m++) {
      this.monthStart.push((Date.UTC(startYear, startMonth - 1 + m, 1) - startMs) / 1000);
    }
    for (let m = 0; m < months; m++) {
      this.daysInMonth.push(((this.monthStart[m + 1] as number) - (this.monthStart[m] as number)) / SECONDS_PER_DAY);
    }
    this.rangeSeconds = this.monthStart[months] as number;
    const days = this.rangeSeconds / SECONDS_PER_DAY;
    this.dayPrefix = new Uint32Array(days * 3);
    for (let d = 0; d < days; d++) {
      const text = new Date(startMs + d * SECONDS_PER_DAY * 1000).toISOString().slice(0, DAY_PREFIX_BYTES);
      packWords(asciiBytes(text), DAY_PREFIX_BYTES, this.dayPrefix, d * 3);
    }
    this.tod = timeOfDayTable();
  }

  /** Writes the ISO 8601 UTC text of a relative instant in [0, rangeSeconds), e.g. `2024-03-05T10:04:11Z`. */
  write(out: ByteBuilder, relativeSeconds: number): void {
    const day = Math.floor(relativeSeconds / SECONDS_PER_DAY);
    out.words(this.dayPrefix, day * 3, DAY_PREFIX_BYTES);
    out.words(this.tod, (relativeSeconds - day * SECONDS_PER_DAY) * 3, TIME_BYTES);
  }
}

/** floor(a / b) for non-negative integers a and positive integer b, without a float quotient. */
export function intDiv(a: number, b: number): number {
  return (a - (a % b)) / b;
}
