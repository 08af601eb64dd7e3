// The standing monthly service on a real Temporal dev server and Postgres (docs/operations.md):
// bases that never stand in for each other, month states reached and cleared, drift listed per
// transaction, dry runs that write nothing, backfills that skip what is done.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { printDryRun } from '../../client/commands/months';
import { backfillInput } from '../../client/commands/ops';
import { DEFAULT_RULESET, planRun } from '../../client/commands/run';
import { writeReplayReport } from '../../client/reports/replayReport';
import { rootCauseMessage } from '../../common/rootCause';
import { monthGrid } from '../../store/monthStates';
import { monthDrift } from '../../store/runOutcomes';
import { attributionRun } from '../../workflows/attributionRun';
import { backfill, type BackfillInput } from '../../workflows/backfill';
import { ingestDataset } from '../../workflows/ingestDataset';
import { replay } from '../../workflows/replay';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { EXAMPLE_DIR } from '../helpers/datasets';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

let temporal: TestTemporal;
const databases: TestDatabase[] = [];
const workers: Array<{ worker: Worker; done: Promise<void> }> = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-grid-'));

before(async () => {
  temporal = await connectTestTemporal('grid');
});
after(async () => {
  for (const w of workers) w.worker.shutdown();
  await Promise.all(workers.map((w) => w.done));
  await temporal.close();
  for (const db of databases) await db.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh database with a copy of the example dataset ingested, and a worker on a queue of its own. */
async function environment(label: string): Promise<{ db: TestDatabase; queue: string; dataset: string }> {
  const db = await createTestDatabase(label);
  databases.push(db);
  const queue = `${temporal.taskQueue}-${label}`;
  workers.push(await temporal.startWorker(db.pool, queue));
  const dataset = path.join(tmp, label);
  fs.cpSync(EXAMPLE_DIR, dataset, { recursive: true });
  await ingest(queue, dataset, 'first');
  return { db, queue, dataset };
}

function ingest(queue: string, dir: string, label: string) {
  return temporal.client.workflow.execute(ingestDataset, { workflowId: `ingest-${queue}-${label}`, taskQueue: queue, args: [{ dir, maxRejects: null }] });
}

function runBackfill(queue: string, from: string, to: string, extra: Partial<BackfillInput> = {}, ruleset = DEFAULT_RULESET) {
  const { input, workflowId } = backfillInput({ from, to, ruleset }, 'backfill');
  return temporal.client.workflow.execute(backfill, { workflowId: `${workflowId}/${queue}/${Math.random()}`, taskQueue: queue, args: [{ ...input, ...extra }] });
}

const KEY = () => {
  const { input } = backfillInput({ from: '2024-01', to: '2024-01', ruleset: DEFAULT_RULESET }, 'backfill');
  return { modelVersion: input.run.modelVersion, books: input.run.books };
};

describe('bases', () => {
  it('a lifetime run, a backfill of the same months and a replay with new position weights: no drift, and zero deltas for first_touch and usage_share', async () => {
    const env = await environment('bases');
    const lifetime = planRun({ ruleset: DEFAULT_RULESET, asOf: '2024-07-01T00:00:00Z' }, 'run');
    const snapshot = await temporal.client.workflow.execute(attributionRun, { workflowId: `${lifetime.workflowId}/${env.queue}`, taskQueue: env.queue, args: [lifetime.input] });
    assert.equal(snapshot.basis, 'as_of:2024-07-01T00:00:00.000Z');
    assert.deepEqual(snapshot.inputs.map((i) => [i.dataset, i.fileVersions]), [['bases', 6]]);

    const months = await runBackfill(env.queue, '2024-01', '2024-06');
    assert.deepEqual([months.monthsDone, months.drift], [6, 0], 'the monthly book does not meet the snapshot\'s decisions');
    const perBasis = await env.db.pool.query<{ basis: string; entries: number }>(
      "SELECT basis, count(*)::int AS entries FROM ledger_entries WHERE book = 'first_touch' GROUP BY basis ORDER BY basis");
    assert.equal(perBasis.rows.length, 2);
    assert.equal(perBasis.rows[0]!.entries, perBasis.rows[1]!.entries, 'every transaction decided once under each basis');

    const ruleset = path.join(tmp, 'new-weights.yaml');
    fs.writeFileSync(ruleset, fs.readFileSync(DEFAULT_RULESET, 'utf8').replace('two_first: 0.6', 'two_first: 0.7').replace('two_last: 0.4', 'two_last: 0.3'));
    const { input, workflowId } = backfillInput({ from: '2024-01', to: '2024-06', ruleset }, 'replay');
    const outDir = path.join(tmp, 'replay-out');
    await temporal.client.workflow.execute(replay, {
      workflowId: `${workflowId}/${env.queue}`, taskQueue: env.queue, args: [{ oldModelVersion: KEY().modelVersion, backfill: input }],
    });
    // As `attribution replay` does: the diff is written by the command, from the ledger (monthly basis).
    await writeReplayReport(env.db.pool, {
      oldModelVersion: KEY().modelVersion, newModelVersion: input.run.modelVersion, fromMonth: '2024-01', toMonth: '2024-06', books: input.run.books, outDir,
    });
    const diff = fs.readFileSync(path.join(outDir, 'replay_diff.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    for (const book of ['first_touch', 'usage_share']) {
      const rows = diff.filter((r) => r[0] === book);
      assert.ok(rows.length > 0 && rows.every((r) => r[5] === '0.0000'), `${book}: ${JSON.stringify(rows.filter((r) => r[5] !== '0.0000'))}`);
    }
    assert.ok(diff.some((r) => r[0] === 'position_based' && r[5] !== '0.0000'), 'position_based moved');
  });
});

describe('scope', () => {
  it('a run over a database with no input says so and fails (the CLI exits 1)', async () => {
    const db = await createTestDatabase('empty');
    databases.push(db);
    const queue = `${temporal.taskQueue}-empty`;
    workers.push(await temporal.startWorker(db.pool, queue));
    const plan = planRun({ ruleset: DEFAULT_RULESET, asOf: '2024-07-01T00:00:00Z' }, 'run');
    const error = await temporal.client.workflow.execute(attributionRun, { workflowId: `${plan.workflowId}/${queue}`, taskQueue: queue, args: [plan.input] })
      .then(() => null, (e: unknown) => e);
    assert.equal(rootCauseMessage(error), 'The database holds no input yet: nothing to attribute. Load a dataset first (attribution ingest <dir> or attribution ingest-events <file>).');
  });
});

describe('month grid', () => {
  let env: Awaited<ReturnType<typeof environment>>;
  const grid = async () => (await monthGrid(env.db.pool, KEY(), ['2024-01', '2024-02', '2024-03'], { persist: true })).map((r) => r.state);

  it('missing months become done when a backfill runs them', async () => {
    env = await environment('grid');
    assert.deepEqual(await grid(), ['missing', 'missing', 'missing']);
    const result = await runBackfill(env.queue, '2024-01', '2024-02');
    assert.deepEqual([result.monthsDone, result.monthsSkipped], [2, 0]);
    assert.deepEqual(await grid(), ['done', 'done', 'missing']);
  });

  it('a dry run lists what would run and why, and writes nothing', async () => {
    const before = await tableCounts(env.db);
    const printed = await captureStdout(() => printDryRun(env.db.pool, { ...KEY(), fromMonth: '2024-01', toMonth: '2024-03' }));
    assert.match(printed, /2024-01 +done +skip +done is not in --reprocess missing,failed,stale/);
    assert.match(printed, /2024-03 +missing +run +missing is in --reprocess/);
    assert.match(printed, /1 of 3 month\(s\) would run/);
    assert.deepEqual(await tableCounts(env.db), before);
  });

  it('late data makes done months stale; re-running appends it, records the drifted transactions and clears the state', async () => {
    // A late full refund of pay-0001 (January): the payment's net revenue drops to 0.
    fs.appendFileSync(path.join(env.dataset, 'refunds.csv'), 'ref-late,u-01-owner,100.0000,USD,2024-01-20T00:00:00Z,pay-0001\n');
    await ingest(env.queue, env.dataset, 'late');
    const stale = await monthGrid(env.db.pool, KEY(), ['2024-01', '2024-02', '2024-03'], { persist: true });
    assert.deepEqual(stale.map((r) => r.state), ['stale', 'stale', 'missing']);
    assert.match(stale[0]!.reason, /grid\/refunds\.csv v2/);

    const result = await runBackfill(env.queue, '2024-01', '2024-03');
    assert.deepEqual([result.monthsDone, result.monthsSkipped, result.drift], [3, 0, 3]);
    assert.deepEqual(await grid(), ['done', 'done', 'done']);
    const drift = await monthDrift(env.db.pool, { modelVersion: KEY().modelVersion, month: '2024-01' });
    assert.deepEqual(drift.map((d) => [d.book, d.kind, d.transactionId, d.stored.status, d.recomputed.status, d.recomputed.reason]), [
      ['first_touch', 'payment', 'pay-0001', 'attributed', 'excluded', 'non_positive_net_revenue'],
      ['position_based', 'payment', 'pay-0001', 'attributed', 'excluded', 'non_positive_net_revenue'],
      ['usage_share', 'payment', 'pay-0001', 'attributed', 'excluded', 'non_positive_net_revenue'],
    ]);
    const refund = await env.db.pool.query("SELECT 1 FROM ledger_entries WHERE transaction_id = 'ref-late' AND basis = 'monthly'");
    assert.equal(refund.rowCount, 3, 'the late refund was appended for each book');
  });

  it('a restarted backfill skips done months without starting their runs; --reprocess all runs them again', async () => {
    const skipped = await runBackfill(env.queue, '2024-01', '2024-03');
    assert.deepEqual([skipped.monthsDone, skipped.monthsSkipped], [0, 3]);
    const all = await runBackfill(env.queue, '2024-01', '2024-02', { reprocess: ['all'] });
    // Nothing new to write; the stored January decisions of pay-0001 still differ from what the data
    // now says, so each re-run reports them again (the stored rows stay until a new model version).
    assert.deepEqual([all.monthsDone, all.monthsSkipped, all.entriesWritten, all.drift], [2, 0, 0, 3]);
    assert.equal((await monthDrift(env.db.pool, { modelVersion: KEY().modelVersion, month: '2024-01' })).length, 6);
  });

  it('running and failed months come from the runs\' outcomes, and a backfill clears a failed one', async () => {
    await env.db.pool.query(
      `INSERT INTO attribution_runs (run_id, workflow_id, kind, model_version, basis, data_version, period_from, period_to, as_of, books, context_id, shard_count)
       VALUES ('r-apr', 'w-apr', 'backfill', $1, 'monthly', 1, '2024-04-01Z', '2024-05-01Z', '2024-05-01Z', $2, 'c', 1)`,
      [KEY().modelVersion, KEY().books]);
    const states = async () => (await monthGrid(env.db.pool, KEY(), ['2024-04'], { persist: true }))[0]!;
    assert.equal((await states()).state, 'running');
    await env.db.pool.query(`INSERT INTO run_outcomes (run_id, status, entries_written, lines_written, drift, error) VALUES ('r-apr', 'failed', 0, 0, 0, 'Dataset directory /x does not exist.')`);
    assert.deepEqual([(await states()).state, (await states()).reason], ['failed', 'Dataset directory /x does not exist.']);
    // A backfill runs the failed month again (the default reprocess choices), which clears it.
    const rerun = await runBackfill(env.queue, '2024-04', '2024-04');
    assert.deepEqual([rerun.monthsDone, rerun.monthsSkipped], [1, 0]);
    assert.equal((await states()).state, 'done');
  });
});

async function tableCounts(db: TestDatabase): Promise<Record<string, number>> {
  const tables = await db.pool.query<{ relname: string }>("SELECT relname FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname");
  const counts: Record<string, number> = {};
  for (const { relname } of tables.rows) counts[relname] = Number((await db.pool.query(`SELECT count(*) AS n FROM "${relname}"`)).rows[0].n);
  return counts;
}

async function captureStdout(work: () => Promise<void>): Promise<string> {
  const original = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => lines.push(args.join(' '));
  try {
    await work();
  } finally {
    console.log = original;
  }
  return lines.join('\n');
}
