// store/copyInstant.ts formats instants for COPY exactly as Date#toISOString does, for any whole
// millisecond a Date can hold: before 1970, across days, past year 9999.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { instantFormatter } from '../../store/copyInstant';

const MAX_DATE_MS = 8.64e15;

describe('instantFormatter', () => {
  it('formats worked instants like toISOString', () => {
    const format = instantFormatter();
    assert.equal(format(Date.UTC(2024, 11, 31, 23, 59, 59, 999)), '2024-12-31T23:59:59.999Z');
    assert.equal(format(0), '1970-01-01T00:00:00.000Z');
    assert.equal(format(-1), '1969-12-31T23:59:59.999Z');
    assert.equal(format(Date.UTC(10000, 0, 1, 1, 2, 3, 4)), '+010000-01-01T01:02:03.004Z');
  });

  it('equals toISOString for every whole millisecond, with one formatter reused across calls', () => {
    const format = instantFormatter();
    fc.assert(fc.property(fc.integer({ min: -MAX_DATE_MS, max: MAX_DATE_MS }), (ms) => format(ms) === new Date(ms).toISOString()), { numRuns: 5000 });
  });
});
