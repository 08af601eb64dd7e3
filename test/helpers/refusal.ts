// Waits for a promise that must be refused with an ApplicationFailure (a non-retryable input error).
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';

export async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the load to be refused');
}
