// The run sequence (workflows/runSequence.ts) with recording steps: the order of its steps, the
// learned-models step only when a book learns, the hooks at their points, and the outcome of a
// completed and of a failed run. No database or Temporal: the steps are plain functions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PreparedRun } from '../../activities/run';
import type { RunOutcome } from '../../store/runOutcomes';
import { newRunProgress, runSequence, type RunRequest, type RunSteps } from '../../workflows/runSequence';

const request: RunRequest = {
  runId: 'r1', workflowId: 'wf1', kind: 'run', rulesetYaml: 'version: t', rulesetSource: 't.yaml', modelVersion: 't#00000000',
  from: null, to: '2024-07-01T00:00:00.000Z', asOf: '2024-07-01T00:00:00.000Z', books: ['first_touch', 'usage_share'], shardConcurrency: 1,
};

function recordingSteps(options: { learnsModels: boolean; failReconcile?: boolean }) {
  const calls: string[] = [];
  const outcomes: RunOutcome[] = [];
  const prepared: PreparedRun = {
    runId: 'r1', modelVersion: 't#00000000', contextId: 'c1', shardCount: 2, accounts: 7, dataVersion: 3, inputs: [], learnsModels: options.learnsModels,
  };
  const shardResult = (book: string, shard: number, entries: number) => ({ book, shard, accounts: 0, entriesWritten: entries, linesWritten: 2 * entries, drift: shard === 1 ? 1 : 0 });
  const steps: RunSteps = {
    prepareRun: async (i) => { calls.push(`prepare ${i.runId} ${i.accountsPerShard}`); return prepared; },
    buildContextShard: async (i) => { calls.push(`contexts ${i.shard}`); return { shard: i.shard, accounts: 3 }; },
    learnRunModels: async () => { calls.push('learn'); return { journeys: 1, converting: 1, markovChannels: 0, shapleyCoalitions: 0 }; },
    excludeUnattributable: async (i) => { calls.push(`exclude ${i.book}`); return shardResult(i.book, -1, 1); },
    attributeBookShard: async (i) => { calls.push(`book ${i.book} ${i.shard}`); return shardResult(i.book, i.shard, 10); },
    attributeShard: async (i) => {
      calls.push(`shard ${i.shard} ${i.books.join(',')}`);
      return { shard: i.shard, books: i.books.map((book) => shardResult(book, i.shard, 10)) };
    },
    reconcileRun: async () => {
      calls.push('reconcile');
      if (options.failReconcile) throw new Error('wrapper', { cause: new Error('Reconciliation failed for run r1') });
      return [];
    },
    recordRunOutcome: async (o) => { calls.push(`outcome ${o.status}`); outcomes.push(o); },
  };
  return { steps, calls, outcomes };
}

describe('the run sequence', () => {
  it('runs prepare, contexts per shard, each book\'s unattributable users, one pass per shard over every book, reconcile, outcome', async () => {
    const { steps, calls, outcomes } = recordingSteps({ learnsModels: false });
    const progress = newRunProgress();
    const hooks: string[] = [];
    await runSequence(steps, request, {
      progress, afterPrepare: (p) => hooks.push(`after prepare ${p.shardCount}`), recordsOutcome: () => true,
      completed: () => hooks.push('completed'), failed: () => hooks.push('failed'),
    });
    assert.deepEqual(calls, [
      'prepare r1 1000', 'contexts 0', 'contexts 1',
      'exclude first_touch', 'exclude usage_share', 'shard 0 first_touch,usage_share', 'shard 1 first_touch,usage_share',
      'reconcile', 'outcome completed',
    ]);
    assert.deepEqual(hooks, ['after prepare 2', 'completed']);
    // Per book: 1 unattributable entry + 10 + 10 shard entries; lines twice that; drift 1 per book (shard 1).
    assert.deepEqual(outcomes, [{ runId: 'r1', status: 'completed', entriesWritten: 42, linesWritten: 84, drift: 2, error: null }]);
    assert.equal(progress.phase, 'completed');
    assert.deepEqual([progress.contextShardsDone, progress.bookShardsDone, progress.bookShardsTotal, progress.accounts], [2, 6, 6, 7]);
  });

  it('runs one activity per book and shard when the caller says so (a history from before the one pass)', async () => {
    const { steps, calls, outcomes } = recordingSteps({ learnsModels: false });
    const progress = newRunProgress();
    await runSequence(steps, request, { progress, onePassPerShard: () => false, recordsOutcome: () => true });
    assert.deepEqual(calls.slice(3, -2), [
      'exclude first_touch', 'book first_touch 0', 'book first_touch 1',
      'exclude usage_share', 'book usage_share 0', 'book usage_share 1',
    ]);
    assert.equal(outcomes[0]!.entriesWritten, 42);
    assert.deepEqual([progress.bookShardsDone, progress.bookShardsTotal], [6, 6]);
  });

  it('learns models after the contexts and before any book, when a book learns', async () => {
    const { steps, calls } = recordingSteps({ learnsModels: true });
    await runSequence(steps, request, { progress: newRunProgress(), recordsOutcome: () => true });
    assert.deepEqual(calls.slice(0, 5), ['prepare r1 1000', 'contexts 0', 'contexts 1', 'learn', 'exclude first_touch']);
  });

  it('records no outcome when the caller says so (a history from before outcomes)', async () => {
    const { steps, calls } = recordingSteps({ learnsModels: false });
    await runSequence(steps, request, { progress: newRunProgress(), recordsOutcome: () => false });
    assert.equal(calls.at(-1), 'reconcile');
  });

  it('records a failed run with its root cause and the totals so far, then fails', async () => {
    const { steps, outcomes } = recordingSteps({ learnsModels: false, failReconcile: true });
    const progress = newRunProgress();
    const hooks: string[] = [];
    await assert.rejects(
      runSequence(steps, request, { progress, recordsOutcome: () => true, completed: () => hooks.push('completed'), failed: () => hooks.push('failed') }),
      /wrapper/,
    );
    assert.deepEqual(outcomes, [{ runId: 'r1', status: 'failed', entriesWritten: 42, linesWritten: 84, drift: 2, error: 'Reconciliation failed for run r1' }]);
    assert.deepEqual(hooks, ['failed']);
    assert.equal(progress.phase, 'failed');
  });
});
