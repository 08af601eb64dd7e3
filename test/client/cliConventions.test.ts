// The CLI's conventions for ops scripting, checked by spawning it as a user does: --version, exit
// codes (0 / 1 failed run or refused input / 2 usage error), one-line usage errors, --json on run,
// backfill and status, status of a finished workflow from its result, root causes, progress
// without placeholders off a terminal, replay progress. Temporal is the test stack's (as with
// TEMPORAL_ADDRESS), so a worker of this test serves the CLI's task queue.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { PROJECT_ROOT } from '../../common/config';
import { workflowIds } from '../../common/temporalNames';
import { datasetKey } from '../../client/session';
import { generateDataset } from '../../scripts/generator/dataset';
import { parseGenerateOptions } from '../../scripts/generator/options';
import { runCli, STACK_TRACE, transactionsIn as countTransactions } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-cli-'));
const missing = path.join(dir, 'no-such-dataset');
let db: TestDatabase;
let temporal: TestTemporal;
let worker: { worker: Worker; done: Promise<void> };
let env: NodeJS.ProcessEnv;

before(async () => {
  await generateDataset(parseGenerateOptions({ accounts: '1000', seed: '11', out: path.join(dir, 'data'), months: '3', start: '2024-01', usagePerAccount: '15' }));
  db = await createTestDatabase('cli');
  temporal = await connectTestTemporal('cli');
  worker = await temporal.startWorker(db.pool);
  env = { ...process.env, DATABASE_URL: db.url, TEMPORAL_TASK_QUEUE: temporal.taskQueue };
});
after(async () => {
  worker.worker.shutdown();
  await worker.done;
  await temporal.close();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const transactionsIn = (from: string, to: string) => countTransactions(path.join(dir, 'data'), `${from}-01T00:00:00Z`, `${to}-01T00:00:00Z`);

const PLACEHOLDER = /\{[a-z]+\}/i;

describe('CLI conventions', () => {
  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await runCli(env, '--version');
    assert.deepEqual(result, { stdout: `${version}\n`, stderr: '', code: 0 });
  });

  it('a usage error prints one line and a hint, not the help, and exits 2', async () => {
    for (const args of [['backfill', '--from', '2024-13', '--to', '2024-02'], ['backfill', '--to', '2024-02'], ['status'], ['run', '--frobnicate'], ['backfil']]) {
      const result = await runCli(env, ...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      const lines = result.stderr.trim().split('\n').filter((l) => !l.startsWith('(Did you mean'));
      assert.equal(lines.length, 2, result.stderr);
      assert.match(lines[0]!, /^error: /);
      assert.equal(lines[1], '(add --help for usage)');
    }
  });

  it('refused input exits 1 with its reason; a failed workflow prints the root cause of the whole chain', async () => {
    const refused = await runCli(env, 'backfill', '--from', '2024-03', '--to', '2024-01');
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim(), 'attribution: --from 2024-03 is after --to 2024-01.');

    const failed = await runCli(env, 'run', '--dataset', missing, '--json');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, new RegExp(`Ingest failed: Dataset directory ${missing} does not exist or is not a directory\\.`));
    assert.doesNotMatch(failed.stderr, /Workflow execution failed|Activity task failed/);
    assert.doesNotMatch(failed.stderr, STACK_TRACE);
    assert.equal((JSON.parse(failed.stdout) as { status: string }).status, 'REFUSED');
  });

  it('status of a failed workflow answers from its failure: root cause, exit 1', async () => {
    const started = Date.now();
    const result = await runCli(env, 'status', workflowIds.ingest(datasetKey(missing)), '--json');
    assert.equal(result.code, 1);
    const view = JSON.parse(result.stdout) as { status: string; error: { message: string; type: string } };
    assert.equal(view.status, 'FAILED');
    assert.deepEqual(view.error, { message: `Dataset directory ${missing} does not exist or is not a directory.`, type: 'InvalidDataset' });
    assert.ok(Date.now() - started < 15_000, 'answered at once');
  });

  it('status of a running workflow that no worker serves says so within seconds instead of hanging', async () => {
    const idle = { ...env, TEMPORAL_TASK_QUEUE: `${temporal.taskQueue}-nobody` };
    const started = await runCli(idle, 'backfill', '--from', '2023-01', '--to', '2023-02', '--detach', '--json');
    assert.equal(started.code, 0, started.stderr);
    const { workflowId } = JSON.parse(started.stdout) as { workflowId: string };
    try {
      const began = Date.now();
      const result = await runCli(idle, 'status', workflowId);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /: RUNNING\nno progress: no worker answered within 5 s \(is one running\? `attribution stack status`\)\n$/);
      assert.ok(Date.now() - began < 20_000, `took ${Date.now() - began} ms`);
    } finally {
      await temporal.client.workflow.getHandle(workflowId).terminate('test done');
    }
  });

  let runId = '';
  let runResult: unknown;
  it('run --json: one JSON document on stdout, human output and progress on stderr without placeholders', async () => {
    const result = await runCli(env, 'run', '--dataset', path.join(dir, 'data'), '--from', '2024-01', '--to', '2024-02', '--json');
    assert.equal(result.code, 0, result.stderr);
    const outcome = JSON.parse(result.stdout) as { workflowId: string; status: string; result: { progress: { entriesWritten: number; drift: number } } };
    assert.equal(outcome.status, 'COMPLETED');
    assert.equal(outcome.result.progress.entriesWritten, 3 * transactionsIn('2024-01', '2024-02'));
    assert.equal(outcome.result.progress.drift, 0);
    assert.match(result.stderr, /Reconciliation \(billing = attributed \+ excluded\)/, 'the human report went to stderr');
    assert.doesNotMatch(result.stderr, PLACEHOLDER);
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    runId = outcome.workflowId;
    runResult = outcome.result;
  });

  it('status of a finished run answers at once from its result', async () => {
    const started = Date.now();
    const result = await runCli(env, 'status', runId, '--json');
    const elapsedMs = Date.now() - started;
    assert.equal(result.code, 0, result.stderr);
    const view = JSON.parse(result.stdout) as { status: string; type: string; result: unknown; progress: unknown };
    assert.deepEqual({ status: view.status, type: view.type, progress: view.progress }, { status: 'COMPLETED', type: 'attributionRun', progress: null });
    assert.deepEqual(view.result, runResult);
    assert.ok(elapsedMs < 15_000, `took ${elapsedMs} ms`);
    const human = await runCli(env, 'status', runId);
    const [first, second] = human.stdout.split('\n');
    assert.equal(first, `attributionRun ${runId}: COMPLETED`);
    assert.match(second!, new RegExp(`^\\d+ accounts in 1 shard\\(s\\); ${3 * transactionsIn('2024-01', '2024-02')} entries and \\d+ lines written, drift 0$`));
  });

  it('backfill: plain progress lines on stderr, the result as the last line of stdout; --json gives it as JSON', async () => {
    const result = await runCli(env, 'backfill', '--from', '2024-02', '--to', '2024-02');
    assert.equal(result.code, 0, result.stderr);
    const last = result.stdout.trim().split('\n').at(-1)!;
    assert.match(last, new RegExp(`^Backfill finished: 1/1 month\\(s\\) run, 0 skipped \\(already done\\), ${3 * transactionsIn('2024-02', '2024-03')} entries and \\d+ lines written, drift 0\\.$`));
    assert.doesNotMatch(result.stderr, PLACEHOLDER);
    assert.doesNotMatch(result.stderr, /\r/);

    const json = await runCli(env, 'backfill', '--from', '2024-03', '--to', '2024-03', '--json');
    assert.equal(json.code, 0, json.stderr);
    const outcome = JSON.parse(json.stdout) as { status: string; result: { monthsDone: number; entriesWritten: number; drift: number } };
    assert.deepEqual(
      { status: outcome.status, monthsDone: outcome.result.monthsDone, entriesWritten: outcome.result.entriesWritten, drift: outcome.result.drift },
      { status: 'COMPLETED', monthsDone: 1, entriesWritten: 3 * transactionsIn('2024-03', '2024-04'), drift: 0 },
    );
  });

  it('replay shows the progress of its months', async () => {
    const ruleset = path.join(dir, 'weights.yaml');
    fs.writeFileSync(ruleset, fs.readFileSync(path.join(PROJECT_ROOT, 'rulesets', 'default.yaml'), 'utf8').replace('two_first: 0.6', 'two_first: 0.7').replace('two_last: 0.4', 'two_last: 0.3'));
    const result = await runCli(env, 'replay', '--ruleset', ruleset, '--from', '2024-01', '--to', '2024-03', '--out', path.join(dir, 'replay'));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^months [█░]+ \d\/3/m);
    assert.doesNotMatch(result.stderr, PLACEHOLDER);
    assert.match(result.stdout, /Backfilled 3 month\(s\)/);
  });
});
