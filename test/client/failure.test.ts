// The root cause of a failure chain, as Temporal builds it for a failed backfill month.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, ChildWorkflowFailure, RetryState, TimeoutFailure } from '@temporalio/common';
import { failureMessage, rootCause } from '../../client/failure';

const datasetMissing = () => ApplicationFailure.nonRetryable('Dataset directory /data/x does not exist or is not a directory.', 'InvalidDataset');
const activity = (cause: Error) => new ActivityFailure('Activity task failed', 'loadDataset', '1', RetryState.NON_RETRYABLE_FAILURE, 'worker', cause);

describe('rootCause', () => {
  it('walks WorkflowFailedError → ChildWorkflowFailure → ActivityFailure → ApplicationFailure to the deepest message', () => {
    const child = new ChildWorkflowFailure('attribution', { workflowId: 'run/x', runId: 'r' }, 'attributionRun', RetryState.NON_RETRYABLE_FAILURE, activity(datasetMissing()));
    const error = new WorkflowFailedError('Workflow execution failed', child, RetryState.NON_RETRYABLE_FAILURE);
    assert.deepEqual(rootCause(error), { message: 'Dataset directory /data/x does not exist or is not a directory.', type: 'InvalidDataset', cancelled: false });
  });

  it('says a cancelled workflow was cancelled, and keeps a timeout\'s kind', () => {
    const cancelled = rootCause(new WorkflowFailedError('Workflow execution cancelled', new CancelledFailure('Cancelled after 2 of 6 months'), RetryState.CANCEL_REQUESTED));
    assert.deepEqual(cancelled, { message: 'Cancelled after 2 of 6 months', type: 'Cancelled', cancelled: true });
    const timeout = rootCause(activity(new TimeoutFailure('Activity task timed out', undefined, 'HEARTBEAT')));
    assert.equal(timeout.message, 'Activity task timed out (heartbeat timeout)');
    assert.equal(timeout.type, 'Timeout');
  });

  it('keeps the outer message when a deeper cause has none, and takes anything thrown', () => {
    const error = new WorkflowFailedError('Workflow execution failed', new Error(''), RetryState.RETRY_POLICY_NOT_SET);
    assert.equal(failureMessage(error), 'Workflow execution failed');
    assert.equal(failureMessage('a string'), 'a string');
    assert.equal(failureMessage(new Error('plain')), 'plain');
  });
});
