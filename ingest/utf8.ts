// Strict UTF-8 for input files (docs/decisions.md, "Input"): a byte sequence that is not UTF-8 is
// refused with its line and column, never decoded to U+FFFD (two ids that differ only in a bad
// byte would otherwise merge). The checker is fed raw chunks in order and validates them up to
// the last newline of what it has, so a character split across two chunks is never misjudged
// (a newline byte is never part of a multi-byte sequence).
import { isUtf8 } from 'node:buffer';

export interface Utf8Problem {
  /** 1-based physical line */
  line: number;
  /** 1-based character position of the first bad byte within its line */
  column: number;
  byte: number;
}

export class Utf8Checker {
  private carry: Buffer = Buffer.alloc(0);
  private linesBefore = 0;

  /** Checks what can be checked of the bytes so far; returns the first problem, if any. */
  push(chunk: Buffer): Utf8Problem | undefined {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const end = buf.lastIndexOf(0x0a);
    if (end < 0) {
      this.carry = Buffer.from(buf);
      return undefined;
    }
    const complete = buf.subarray(0, end + 1);
    this.carry = Buffer.from(buf.subarray(end + 1));
    const problem = isUtf8(complete) ? undefined : locate(complete, this.linesBefore);
    this.linesBefore += countNewlines(complete);
    return problem;
  }

  /** Bytes held back since the last newline: the length so far of the line being read. */
  get pendingBytes(): number {
    return this.carry.length;
  }

  /** The 1-based number of the line being read. */
  get currentLine(): number {
    return this.linesBefore + 1;
  }

  /** Checks the last line (the bytes after the last newline). */
  end(): Utf8Problem | undefined {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    return rest.length === 0 || isUtf8(rest) ? undefined : locate(rest, this.linesBefore);
  }
}

export function describeUtf8Problem(fileName: string, p: Utf8Problem): string {
  const hex = p.byte.toString(16).toUpperCase().padStart(2, '0');
  return `${fileName} line ${p.line}, column ${p.column}: byte 0x${hex} is not valid UTF-8. ` +
    'The file must be UTF-8: re-export it as UTF-8 (not Latin-1 or Windows-1252); nothing of it was loaded.';
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(0x0a); i >= 0; i = buf.indexOf(0x0a, i + 1)) n += 1;
  return n;
}

/** Finds the first invalid sequence of a buffer known to hold one (a slow path, taken once). */
function locate(buf: Buffer, linesBefore: number): Utf8Problem {
  let line = linesBefore + 1;
  let column = 1;
  let i = 0;
  while (i < buf.length) {
    const length = sequenceLength(buf, i);
    if (length === 0) return { line, column, byte: buf[i]! };
    if (buf[i] === 0x0a) {
      line += 1;
      column = 1;
    } else column += 1;
    i += length;
  }
  return { line, column, byte: buf[buf.length - 1]! }; // unreachable for a buffer that isUtf8 refused
}

/** The length of the well-formed UTF-8 sequence at `i`, or 0 (RFC 3629: no overlongs, no surrogates). */
function sequenceLength(buf: Buffer, i: number): number {
  const b0 = buf[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < buf.length && buf[i + k]! >= lo && buf[i + k]! <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 === 0xee || b0 === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/**
 * Decodes a whole body (an HTTP batch) as strict UTF-8: the text, or where the first bad byte
 * is. For a reader that has the bytes at once rather than as a stream.
 */
export function decodeStrictUtf8(bytes: Buffer): { ok: true; text: string } | { ok: false; problem: Utf8Problem } {
  const checker = new Utf8Checker();
  const problem = checker.push(bytes) ?? checker.end();
  return problem ? { ok: false, problem } : { ok: true, text: bytes.toString('utf8') };
}
