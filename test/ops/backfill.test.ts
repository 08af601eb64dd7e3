// Backfills, replays and the monthly schedule on a real Temporal dev server and Postgres.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { Decimal } from 'decimal.js';
import { writeReplayReport } from '../../client/reports/replayReport';
import { backfillInput } from '../../client/commands/ops';
import { DEFAULT_RULESET, planRun } from '../../client/commands/run';
import { scheduleOptions } from '../../client/commands/schedule';
import { generateDataset } from '../../scripts/generator/dataset';
import { parseGenerateOptions } from '../../scripts/generator/options';
import type { BackfillProgress } from '../../workflows/backfill';
import type { ReplayInput, ReplayResult } from '../../workflows/replay';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { ledgerSnapshot } from '../helpers/ledger';
import { pollUntil } from '../helpers/poll';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-backfill-'));
const MONTHS = ['2024-01', '2024-02', '2024-03', '2024-04', '2024-05', '2024-06'];
let temporal: TestTemporal;
const databases: TestDatabase[] = [];
const workers: Array<{ worker: Worker; done: Promise<void> }> = [];

before(async () => {
  await generateDataset(parseGenerateOptions({ accounts: '300', seed: '7', out: dir, months: '6', start: '2024-01', usagePerAccount: '15' }));
  temporal = await connectTestTemporal('ops');
});
after(async () => {
  for (const w of workers) w.worker.shutdown();
  await Promise.all(workers.map((w) => w.done));
  await temporal.close();
  for (const db of databases) await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh database with the dataset ingested and a worker on a queue of its own. */
async function environment(label: string): Promise<{ db: TestDatabase; queue: string }> {
  const db = await createTestDatabase(label);
  databases.push(db);
  const queue = `${temporal.taskQueue}-${label}`;
  workers.push(await temporal.startWorker(db.pool, queue));
  await temporal.client.workflow.execute('ingestDataset', { workflowId: `ingest-${queue}`, taskQueue: queue, args: [{ dir, maxRejects: null }] });
  return { db, queue };
}

function startBackfill(queue: string, ruleset = DEFAULT_RULESET, extra: { monthsPerExecution?: number } = {}) {
  const { input, workflowId } = backfillInput({ from: '2024-01', to: '2024-06', ruleset }, 'backfill');
  return temporal.client.workflow.start('backfill', {
    workflowId: `${workflowId}/${queue}`, taskQueue: queue, args: [{ ...input, ...extra }], workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

let backfilled: { db: TestDatabase; queue: string };

describe('backfill', () => {
  it('gives exactly the ledger of six monthly runs started one by one, and the months add up to the billing of the range', async () => {
    backfilled = await environment('backfill');
    // Two starts at once attach to one workflow (one set of ledger rows); continue-as-new every 2 months.
    const [first, second] = await Promise.all([startBackfill(backfilled.queue, DEFAULT_RULESET, { monthsPerExecution: 2 }), startBackfill(backfilled.queue, DEFAULT_RULESET, { monthsPerExecution: 2 })]);
    assert.equal(first.firstExecutionRunId, second.firstExecutionRunId);
    const result = (await first.result()) as BackfillProgress;
    assert.equal(result.monthsDone, 6);
    const executions = await temporal.client.workflow.getHandle(first.workflowId).describe();
    assert.notEqual(executions.runId, first.firstExecutionRunId, 'the backfill continued as new');

    const monthly = await environment('monthly');
    for (const month of MONTHS) {
      const to = month === '2024-06' ? '2024-07-01T00:00:00Z' : `2024-${String(Number(month.slice(5)) + 1).padStart(2, '0')}-01T00:00:00Z`;
      const plan = planRun({ ruleset: DEFAULT_RULESET, from: `${month}-01T00:00:00.000Z`, to: new Date(to).toISOString() }, 'run');
      await temporal.client.workflow.execute('attributionRun', { workflowId: `${plan.workflowId}/${monthly.queue}`, taskQueue: monthly.queue, args: [plan.input] });
    }
    const [want, got] = await Promise.all([ledgerSnapshot(monthly.db.pool), ledgerSnapshot(backfilled.db.pool)]);
    assert.ok(want.lines.length > 1000);
    assert.deepEqual(got, want);

    const sums = await backfilled.db.pool.query<{ book: string; currency: string; months: string; billing: string }>(
      `SELECT r.book, r.currency, sum(r.attributed_total + r.excluded_total)::text AS months,
              (SELECT (coalesce((SELECT sum(amount) FROM payments p WHERE p.currency = r.currency AND paid_at >= '2024-01-01' AND paid_at < '2024-07-01'), 0)
                     - coalesce((SELECT sum(amount) FROM refunds f WHERE f.currency = r.currency AND refunded_at >= '2024-01-01' AND refunded_at < '2024-07-01'), 0))::text) AS billing
         FROM run_reconciliations r GROUP BY r.book, r.currency`,
    );
    assert.equal(sums.rows.length, 6); // 3 books × 2 currencies
    for (const r of sums.rows) assert.ok(new Decimal(r.months).eq(r.billing), `${r.book} ${r.currency}: ${r.months} vs ${r.billing}`);
  });

  it('cancelled mid-way, it leaves whole months only', async () => {
    const env = await environment('cancel');
    const handle = await startBackfill(env.queue);
    await pollUntil(() => handle.query<BackfillProgress>('progress'), (p) => p.monthsDone >= 1);
    await handle.cancel();
    await assert.rejects(handle.result(), (e) => e instanceof WorkflowFailedError && e.cause instanceof CancelledFailure);
    const months = await env.db.pool.query<{ month: string; entries: number }>(
      `SELECT to_char(event_at, 'YYYY-MM') AS month, count(*)::int AS entries FROM ledger_entries GROUP BY 1 ORDER BY 1`);
    const full = await backfilled.db.pool.query<{ month: string; entries: number }>(
      `SELECT to_char(event_at, 'YYYY-MM') AS month, count(*)::int AS entries FROM ledger_entries GROUP BY 1 ORDER BY 1`);
    assert.ok(months.rows.length >= 1 && months.rows.length < 6, `${months.rows.length} months written`);
    assert.deepEqual(months.rows, full.rows.slice(0, months.rows.length), 'a prefix of whole months');
  });
});

describe('replay', () => {
  it('writes a new model version beside untouched old rows, and a diff with the expected deltas', async () => {
    const oldRows = await ledgerSnapshot(backfilled.db.pool);
    const ruleset = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ruleset-')), 'new-weights.yaml');
    fs.writeFileSync(ruleset, fs.readFileSync(DEFAULT_RULESET, 'utf8').replace('two_first: 0.6', 'two_first: 0.7').replace('two_last: 0.4', 'two_last: 0.3'));
    const { input, workflowId } = backfillInput({ from: '2024-01', to: '2024-06', ruleset }, 'replay');
    const oldModelVersion = planRun({ ruleset: DEFAULT_RULESET, asOf: '2024-07-01T00:00:00Z' }, 'run').input.modelVersion;
    assert.notEqual(input.run.modelVersion, oldModelVersion);
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-out-'));
    const replayInput: ReplayInput = { oldModelVersion, backfill: input };
    const result = (await temporal.client.workflow.execute('replay', { workflowId: `${workflowId}/${backfilled.queue}`, taskQueue: backfilled.queue, args: [replayInput] })) as ReplayResult;
    assert.equal(result.backfill.monthsDone, 6);
    assert.equal(result.diff, null, 'the worker writes no report');
    // What `attribution replay` does once the workflow is done: the diff, from the ledger, in this process.
    await writeReplayReport(backfilled.db.pool, {
      oldModelVersion, newModelVersion: input.run.modelVersion, fromMonth: '2024-01', toMonth: '2024-06', books: input.run.books, outDir,
    });

    const after = await ledgerSnapshot(backfilled.db.pool);
    const old = (rows: string[]) => rows.filter((r) => r.startsWith(`${oldModelVersion}|`));
    assert.deepEqual({ entries: old(after.entries), lines: old(after.lines) }, oldRows, 'old model version rows are byte-identical');

    const diff = fs.readFileSync(path.join(outDir, 'replay_diff.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const byBook = (book: string) => diff.filter((r) => r[0] === book);
    // Only position-based changed; the totals per currency stay the same (revenue moves between channels).
    for (const book of ['first_touch', 'usage_share']) assert.ok(byBook(book).every((r) => r[5] === '0.0000'), `${book} unchanged`);
    assert.ok(byBook('position_based').some((r) => r[5] !== '0.0000'), 'position_based moved');
    for (const currency of ['USD', 'EUR']) {
      const total = byBook('position_based').filter((r) => r[2] === currency).reduce((s, r) => s.plus(r[5]!), new Decimal(0));
      assert.ok(total.abs().lte('0.01'), `${currency} total moved by ${total}`);
    }
    // Each delta is exactly new − old of the ledger.
    const check = await backfilled.db.pool.query<{ channel: string; delta: string }>(
      `SELECT channel, (coalesce(sum(amount) FILTER (WHERE model_version = $2), 0) - coalesce(sum(amount) FILTER (WHERE model_version = $1), 0))::numeric(18,4)::text AS delta
         FROM ledger_lines WHERE book = 'position_based' AND currency = 'USD' GROUP BY channel`,
      [oldModelVersion, input.run.modelVersion],
    );
    for (const row of check.rows) assert.equal(byBook('position_based').find((r) => r[1] === row.channel && r[2] === 'USD')![5], row.delta, row.channel);
    assert.match(fs.readFileSync(path.join(outDir, 'replay_diff.txt'), 'utf8'), /accounts that moved most: /);
  });
});

describe('monthly schedule', () => {
  it('triggered for a given nominal time, runs the month before it', async () => {
    const id = `test-schedule-${backfilled.queue}`;
    const handle = await temporal.client.schedule.create(scheduleOptions({ config: { taskQueue: backfilled.queue } as never }, {
      id, cron: '0 3 1 * *', ruleset: DEFAULT_RULESET, catchupWindow: '7 days',
    }));
    try {
      await handle.pause('test: only the backfilled action runs');
      await handle.backfill({ start: new Date('2024-03-01T03:00:00Z'), end: new Date('2024-03-01T03:00:01Z'), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
      const workflowId = await pollUntil(async () => (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId, (id) => id !== undefined, 30_000);
      assert.ok(workflowId, 'the schedule started a workflow');
      const result = (await temporal.client.workflow.getHandle(workflowId).result()) as { month: string; modelVersion: string };
      assert.equal(result.month, '2024-02');
    } finally {
      await handle.delete();
    }
  });
});
