// Which errors of an ingest activity are bad input (non-retryable, naming file and line) and which
// are transient (left to Temporal's retries).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { asInputFailure, isTransient } from '../../common/errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('asInputFailure', () => {
  const transient: Array<[string, unknown]> = [
    ['admin shutdown 57P01', pgError('57P01', 'terminating connection due to administrator command')],
    ['connection failure 08006', pgError('08006')],
    ['serialization failure 40001', pgError('40001')],
    ['too many connections 53300', pgError('53300')],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['pg: Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
  ];
  for (const [name, error] of transient) {
    it(`${name}: left as it is, to be retried`, () => {
      assert.equal(isTransient(error), true);
      assert.equal(asInputFailure(error, 'payments.csv', 3), error);
    });
  }

  const bad: Array<[string, unknown, RegExp]> = [
    ['RangeError', new RangeError('Invalid string length'), /^payments\.csv line 3: holds a line or value too large to read\. Correct the file/],
    ['invalid byte sequence 22021', pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), /^payments\.csv line 3: cannot be loaded: invalid byte sequence .*Correct the file/],
    ['numeric out of range 22003', pgError('22003', 'numeric field overflow'), /^payments\.csv line 3: cannot be loaded: numeric field overflow/],
    ['a parser error naming its own line', Object.assign(new Error('Invalid Closing Quote'), { lines: 7 }), /^payments\.csv line 7: cannot be loaded: Invalid Closing Quote/],
  ];
  for (const [name, error, message] of bad) {
    it(`${name}: a non-retryable InvalidInputFile naming the file and line`, () => {
      const failure = asInputFailure(error, 'payments.csv', 3);
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.type, 'InvalidInputFile');
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, message);
    });
  }

  it('anything else is retried, but names the file and line', () => {
    const failure = asInputFailure(new TypeError("Cannot read properties of undefined (reading 'x')"), 'calls.csv', 9);
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, 'IngestUnexpected');
    assert.equal(failure.nonRetryable, false);
    assert.match(failure.message, /^calls\.csv line 9: loading failed unexpectedly: Cannot read properties of undefined/);
  });

  it('an ApplicationFailure passes unchanged', () => {
    const failure = ApplicationFailure.create({ type: 'InvalidDataset', message: 'm', nonRetryable: true });
    assert.equal(asInputFailure(failure, 'f', 1), failure);
  });
});
