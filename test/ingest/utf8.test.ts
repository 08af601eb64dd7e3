// Strict UTF-8: the streaming checker agrees with a whole-buffer check however the bytes are cut
// into chunks, and points at the first bad byte by line and column.
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeStrictUtf8, Utf8Checker, type Utf8Problem } from '../../ingest/utf8';

function checkInChunks(bytes: Buffer, cuts: number[]): Utf8Problem | undefined {
  const checker = new Utf8Checker();
  let start = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    const problem = checker.push(bytes.subarray(start, cut));
    if (problem) return problem;
    start = cut;
  }
  return checker.push(bytes.subarray(start)) ?? checker.end();
}

describe('Utf8Checker', () => {
  it('finds the first bad byte with its line and column', () => {
    const bytes = Buffer.concat([Buffer.from('a,b\nx,caf'), Buffer.from([0xe9]), Buffer.from('\n')]);
    assert.deepEqual(checkInChunks(bytes, []), { line: 2, column: 6, byte: 0xe9 });
    assert.deepEqual(checkInChunks(Buffer.from([0x61, 0x0a, 0x62, 0xf0, 0x9f, 0x99]), []), { line: 2, column: 2, byte: 0xf0 }); // cut at the end
    assert.deepEqual(checkInChunks(Buffer.from('日本\n🙂x'), [1, 2, 8]), undefined);
  });

  it('agrees with a whole-buffer check for any bytes and any chunking (property)', () => {
    const text = fc.array(fc.oneof(fc.constant(0x0a), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f)), { maxLength: 60 });
    fc.assert(fc.property(text, fc.array(fc.nat(60), { maxLength: 6 }), (values, cuts) => {
      const bytes = Buffer.from(values);
      const whole = checkInChunks(bytes, []);
      assert.equal(whole === undefined, isUtf8(bytes));
      assert.deepEqual(checkInChunks(bytes, cuts.map((c) => Math.min(c, bytes.length))), whole);
    }), { numRuns: 2000 });
  });

  it('decodeStrictUtf8 refuses what toString would turn into U+FFFD', () => {
    assert.deepEqual(decodeStrictUtf8(Buffer.from('{"a":"é"}')), { ok: true, text: '{"a":"é"}' });
    assert.deepEqual(decodeStrictUtf8(Buffer.from([0x7b, 0xe9, 0x7d])), { ok: false, problem: { line: 1, column: 2, byte: 0xe9 } });
  });
});
