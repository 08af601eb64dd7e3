// Killing the worker in the middle of a run: a new worker finishes it, and the ledger is exactly
// the ledger of an uninterrupted run of the same data (no lost and no doubled entries or lines).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { backfillInput } from '../../client/commands/ops';
import { planRun, DEFAULT_RULESET } from '../../client/commands/run';
import { generateDataset } from '../../scripts/generator/dataset';
import { parseGenerateOptions } from '../../scripts/generator/options';
import type { AttributionRunInput, AttributionRunResult, RunProgress } from '../../workflows/attributionRun';
import type { BackfillProgress } from '../../workflows/backfill';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { ledgerSnapshot } from '../helpers/ledger';
import { pollUntil } from '../helpers/poll';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';
import { startWorkerProcess } from '../helpers/workerProcess';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-crash-'));
let uninterrupted: TestDatabase;
let crashed: TestDatabase;
let temporal: TestTemporal;

before(async () => {
  await generateDataset(parseGenerateOptions({ accounts: '1200', seed: '42', out: dir, months: '6', start: '2024-01', usagePerAccount: '20' }));
  [uninterrupted, crashed] = await Promise.all([createTestDatabase('uninterrupted'), createTestDatabase('crashed')]);
  temporal = await connectTestTemporal('crash');
});
after(async () => {
  await temporal.close();
  await uninterrupted.drop();
  await crashed.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function runInput(): { input: AttributionRunInput; workflowId: string } {
  const plan = planRun({ ruleset: DEFAULT_RULESET, asOf: '2024-07-01T00:00:00Z' }, 'run');
  // Small shards and a short heartbeat timeout: many activities to interrupt, and a quick retry.
  return { input: { ...plan.input, accountsPerShard: 100, shardConcurrency: 2, heartbeatTimeoutSeconds: 5 }, workflowId: plan.workflowId };
}

async function ingestedDatabase(label: string, taskQueue: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  extra.push(db);
  await ingestWith(db, taskQueue);
  return db;
}
const extra: TestDatabase[] = [];
after(async () => {
  for (const db of extra) await db.drop();
});

async function ingestWith(db: TestDatabase, taskQueue: string): Promise<void> {
  const w = await temporal.startWorker(db.pool, taskQueue);
  await temporal.client.workflow.execute('ingestDataset', { workflowId: `ingest-${taskQueue}`, taskQueue, args: [{ dir, maxRejects: null }] });
  w.worker.shutdown();
  await w.done;
}

describe('a worker killed mid-run', () => {
  it('is replaced by a new one that finishes the run with the same ledger as an uninterrupted run', async () => {
    const { input, workflowId } = runInput();

    const queueA = `${temporal.taskQueue}-a`;
    await ingestWith(uninterrupted, queueA);
    const a = await temporal.startWorker(uninterrupted.pool, queueA);
    const clean = (await temporal.client.workflow.execute('attributionRun', { workflowId: `${workflowId}/${queueA}`, taskQueue: queueA, args: [input] })) as AttributionRunResult;
    a.worker.shutdown();
    await a.done;
    assert.ok(clean.progress.shardCount >= 10, `expected many shards, got ${clean.progress.shardCount}`);

    const queueB = `${temporal.taskQueue}-b`;
    await ingestWith(crashed, queueB);
    const first = await startWorkerProcess({ databaseUrl: crashed.url, taskQueue: queueB });
    const handle = await temporal.client.workflow.start('attributionRun', { workflowId: `${workflowId}/${queueB}`, taskQueue: queueB, args: [input] });
    const progress = await pollUntil(() => handle.query<RunProgress>('progress'), (p) => p.bookShardsDone >= 3);
    await first.kill();
    const killedAt = progress.bookShardsDone;
    const second = await startWorkerProcess({ databaseUrl: crashed.url, taskQueue: queueB });
    try {
      const resumed = (await handle.result()) as AttributionRunResult;
      assert.ok(killedAt < resumed.progress.bookShardsTotal, 'the worker was killed before the run ended');
      assert.equal(resumed.progress.bookShardsDone, resumed.progress.bookShardsTotal);
    } finally {
      await second.stop();
    }

    const [want, got] = await Promise.all([ledgerSnapshot(uninterrupted.pool), ledgerSnapshot(crashed.pool)]);
    assert.ok(want.lines.length > 1000, `a real ledger (${want.lines.length} lines)`);
    assert.equal(got.entries.length, want.entries.length);
    assert.equal(got.lines.length, want.lines.length);
    assert.deepEqual(got, want);
  });
});

describe('a worker killed mid-backfill', () => {
  it('is replaced by a new one that completes the backfill with the same ledger as an uninterrupted one', async () => {
    const { input, workflowId } = backfillInput({ from: '2024-01', to: '2024-06', ruleset: DEFAULT_RULESET }, 'backfill');
    const months = { ...input, run: { ...input.run, accountsPerShard: 300, heartbeatTimeoutSeconds: 5 } };

    const queueA = `${temporal.taskQueue}-bf-a`;
    const clean = await ingestedDatabase('bf_clean', queueA);
    const a = await temporal.startWorker(clean.pool, queueA);
    await temporal.client.workflow.execute('backfill', { workflowId: `${workflowId}/${queueA}`, taskQueue: queueA, args: [months] });
    a.worker.shutdown();
    await a.done;

    const queueB = `${temporal.taskQueue}-bf-b`;
    const killed = await ingestedDatabase('bf_killed', queueB);
    const first = await startWorkerProcess({ databaseUrl: killed.url, taskQueue: queueB });
    const handle = await temporal.client.workflow.start('backfill', { workflowId: `${workflowId}/${queueB}`, taskQueue: queueB, args: [months] });
    await pollUntil(() => handle.query<BackfillProgress>('progress'), (p) => p.monthsDone >= 2);
    await first.kill();
    const second = await startWorkerProcess({ databaseUrl: killed.url, taskQueue: queueB });
    try {
      const result = (await handle.result()) as BackfillProgress;
      assert.equal(result.monthsDone, 6);
    } finally {
      await second.stop();
    }
    const [want, got] = await Promise.all([ledgerSnapshot(clean.pool), ledgerSnapshot(killed.pool)]);
    assert.ok(want.lines.length > 1000);
    assert.deepEqual(got, want);
  });
});
