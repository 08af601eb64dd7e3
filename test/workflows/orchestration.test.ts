// Orchestration paths of the backfill and the scheduled run with mocked activities (fast: no
// Postgres, no data): which months run for each reprocess choice, a failing month with and without
// --fail-fast, continue-as-new, cancellation between months, and the schedule's month. The same
// workflows run end to end on real servers in test/ops/.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { MonthState } from '../../common/monthStates';
import { rootCauseMessage } from '../../common/rootCause';
import { workflowBundle } from '../../worker/createWorker';
import { backfill, backfillProgressQuery, type BackfillInput } from '../../workflows/backfill';
import { scheduledMonthlyRun } from '../../workflows/scheduledMonthlyRun';

let env: TestWorkflowEnvironment;
before(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env.TEMPORAL_ADDRESS!, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
});
after(async () => env?.teardown());

interface Mock {
  /** Months whose run was prepared, in order. */
  prepared: string[];
  states: Record<string, MonthState>;
  failing: Set<string>;
  /** When set, prepareRun waits for it (to cancel a backfill mid-month). */
  gate?: Promise<void>;
}

const RUN: BackfillInput['run'] = { rulesetYaml: '', rulesetSource: 'mock.yaml', modelVersion: 'mock#1', books: ['first_touch'], outDir: null };
const monthOf = (iso: string) => iso.slice(0, 7);

/** Activities with the real names and shapes, recording what was asked of them. */
function mockActivities(mock: Mock) {
  let current = '';
  return {
    async monthStates(input: { months: string[] }) {
      return input.months.map((month) => ({ month, state: mock.states[month] ?? 'missing', reason: 'mock' }));
    },
    async prepareRun(input: { runId: string; from: string | null; modelVersion: string }) {
      current = monthOf(input.from!);
      mock.prepared.push(current);
      if (mock.gate) await mock.gate;
      return { runId: input.runId, modelVersion: input.modelVersion, contextId: 'c', shardCount: 1, accounts: 1, dataVersion: 1, inputs: [] };
    },
    async buildContextShard() { return { accounts: 1 }; },
    async excludeUnattributable(input: { book: string }) { return { book: input.book, shard: -1, accounts: 0, entriesWritten: 0, linesWritten: 0, drift: 0 }; },
    async attributeShard(input: { books: string[]; shard: number }) {
      return { shard: input.shard, books: input.books.map((book) => ({ book, shard: input.shard, accounts: 1, entriesWritten: 2, linesWritten: 3, drift: 0 })) };
    },
    async reconcileRun() {
      if (mock.failing.has(current)) throw ApplicationFailure.nonRetryable(`billing of ${current} does not reconcile`, 'ReconciliationFailed');
      return [];
    },
    async recordRunOutcome() {},
    async writeRunReports() { return null; },
  };
}

async function withWorker<T>(mock: Mock, work: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `orchestration-${crypto.randomBytes(4).toString('hex')}`;
  const worker = await Worker.create({
    connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue,
    workflowBundle: await workflowBundle(), activities: mockActivities(mock),
  });
  return worker.runUntil(work(taskQueue));
}

function startBackfill(taskQueue: string, extra: Partial<BackfillInput>) {
  const input: BackfillInput = { kind: 'backfill', fromMonth: '2024-01', toMonth: '2024-04', run: RUN, ...extra };
  return env.client.workflow.start(backfill, { workflowId: `backfill-${taskQueue}`, taskQueue, args: [input] });
}

const newMock = (states: Record<string, MonthState> = {}, failing: string[] = []): Mock => ({ prepared: [], states, failing: new Set(failing) });

describe('backfill orchestration (mocked activities)', () => {
  const states: Record<string, MonthState> = { '2024-01': 'done', '2024-02': 'stale', '2024-03': 'missing', '2024-04': 'failed' };

  it('runs the missing, failed and stale months by default and skips the done ones without starting them', async () => {
    const mock = newMock(states);
    const result = await withWorker(mock, async (q) => (await startBackfill(q, {})).result());
    assert.deepEqual(mock.prepared, ['2024-02', '2024-03', '2024-04']);
    assert.deepEqual([result.monthsDone, result.monthsSkipped, result.entriesWritten], [3, 1, 6]);
  });

  it('runs only the states asked for, and every month with `all`', async () => {
    const onlyStale = newMock(states);
    await withWorker(onlyStale, async (q) => (await startBackfill(q, { reprocess: ['stale'] })).result());
    assert.deepEqual(onlyStale.prepared, ['2024-02']);
    const all = newMock(states);
    await withWorker(all, async (q) => (await startBackfill(q, { reprocess: ['all'] })).result());
    assert.deepEqual(all.prepared, ['2024-01', '2024-02', '2024-03', '2024-04']);
  });

  it('a failed month does not stop the later ones; the backfill then fails naming it and its root cause', async () => {
    const mock = newMock({}, ['2024-02']);
    const error = await withWorker(mock, async (q) => (await startBackfill(q, {})).result().then(() => null, (e: unknown) => e));
    assert.deepEqual(mock.prepared, ['2024-01', '2024-02', '2024-03', '2024-04']);
    assert.ok(error instanceof WorkflowFailedError);
    assert.equal(rootCauseMessage(error), '1 month(s) failed: 2024-02 (billing of 2024-02 does not reconcile)');
    assert.equal((error.cause as ApplicationFailure).type, 'BackfillMonthsFailed');
  });

  it('with --fail-fast, the first failed month ends it', async () => {
    const mock = newMock({}, ['2024-02']);
    const error = await withWorker(mock, async (q) => (await startBackfill(q, { failFast: true })).result().then(() => null, (e: unknown) => e));
    assert.deepEqual(mock.prepared, ['2024-01', '2024-02']);
    assert.equal(rootCauseMessage(error), 'billing of 2024-02 does not reconcile');
  });

  it('continues as new with its cursor and totals', async () => {
    const mock = newMock({ '2024-02': 'done' });
    const { handle, result } = await withWorker(mock, async (q) => {
      const h = await startBackfill(q, { monthsPerExecution: 1 });
      return { handle: h, result: await h.result() };
    });
    assert.deepEqual(mock.prepared, ['2024-01', '2024-03', '2024-04']);
    assert.deepEqual([result.monthsDone, result.monthsSkipped, result.monthsTotal], [3, 1, 4]);
    assert.notEqual((await handle.describe()).runId, handle.firstExecutionRunId);
  });

  it('cancelled during a month, it finishes that month and starts no other', async () => {
    let release!: () => void;
    const mock: Mock = { ...newMock(), gate: new Promise<void>((resolve) => (release = resolve)) };
    const error = await withWorker(mock, async (q) => {
      const handle = await startBackfill(q, {});
      while (mock.prepared.length === 0) await new Promise((r) => setTimeout(r, 50));
      await handle.cancel();
      release();
      const outcome = await handle.result().then(() => null, (e: unknown) => e);
      assert.equal((await handle.query(backfillProgressQuery)).monthsDone, 1);
      return outcome;
    });
    assert.deepEqual(mock.prepared, ['2024-01']);
    assert.ok(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure);
  });
});

describe('scheduled run (mocked activities)', () => {
  async function triggerAt(mock: Mock, nominal: string) {
    return withWorker(mock, async (taskQueue) => {
      const id = `schedule-${taskQueue}`;
      const schedule = await env.client.schedule.create({
        scheduleId: id, spec: { cronExpressions: ['0 3 1 * *'], timezone: 'UTC' }, state: { paused: true },
        action: { type: 'startWorkflow', workflowType: scheduledMonthlyRun, taskQueue, args: [{ run: RUN }], workflowId: `scheduled-${id}` },
      });
      try {
        await schedule.backfill({ start: new Date(nominal), end: new Date(new Date(nominal).getTime() + 1000), overlap: 'ALLOW_ALL' });
        let workflowId: string | undefined;
        for (let i = 0; i < 200 && !workflowId; i++) {
          workflowId = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
          if (!workflowId) await new Promise((r) => setTimeout(r, 100));
        }
        return await env.client.workflow.getHandle<typeof scheduledMonthlyRun>(workflowId!).result();
      } finally {
        await schedule.delete();
      }
    });
  }

  it('runs the month before its nominal time, as a monthly run of that month', async () => {
    const mock = newMock();
    const result = await triggerAt(mock, '2024-03-01T03:00:00Z');
    assert.deepEqual([result.month, result.ran, result.stateBefore], ['2024-02', true, 'missing']);
    assert.deepEqual(mock.prepared, ['2024-02']);
  });

  it('does not run a month that is already done', async () => {
    const mock = newMock({ '2024-02': 'done' });
    const result = await triggerAt(mock, '2024-03-01T03:00:00Z');
    assert.deepEqual([result.month, result.ran, result.run], ['2024-02', false, null]);
    assert.deepEqual(mock.prepared, []);
  });
});
