// The resident worker of the embedded default, as a user meets it: a state folder of its own, no
// TEMPORAL_ADDRESS (so `stack up` starts a Temporal dev server and the supervised worker), real
// processes. A detached backfill and a triggered schedule complete with no command in the
// foreground; a killed worker is restarted; Ctrl-C on a foreground backfill detaches from it and
// it completes anyway; `stack down` stops the worker.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { isProcessAlive } from '../../stack/processes';
import { readWorkerStatus, type ResidentWorkerStatus } from '../../stack/residentWorker';
import { generateDataset } from '../../scripts/generator/dataset';
import { parseGenerateOptions } from '../../scripts/generator/options';
import { runCli, startCli, STACK_TRACE, transactionsIn, type CliResult } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { EXAMPLE_DIR } from '../helpers/datasets';
import { pollUntil } from '../helpers/poll';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-resident-'));
const generated = path.join(home, 'generated');
let db: TestDatabase;
let env: NodeJS.ProcessEnv;
let client: Client | undefined;

before(async () => {
  db = await createTestDatabase('resident');
  await generateDataset(parseGenerateOptions({ accounts: '1000', seed: '5', out: generated, months: '6', start: '2025-01', usagePerAccount: '15' }));
  env = {
    ...process.env, ATTRIBUTION_HOME: home, ATTRIBUTION_TEMPORAL_HEADLESS: '1', DATABASE_URL: db.url,
    ATTRIBUTION_TEMPORAL_PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
  };
  delete env.TEMPORAL_ADDRESS; // the embedded Temporal: what brings the resident worker
  delete env.TEMPORAL_TASK_QUEUE;
});
after(async () => {
  await client?.connection.close();
  await runCli(env, 'stack', 'down');
  await db.drop();
  fs.rmSync(home, { recursive: true, force: true });
});

/** `status <id> --json` until it reports `status` (the workflow may not exist yet). */
async function waitForStatus(workflowId: string, status: string, timeoutMs = 120_000): Promise<{ status: string; result: Record<string, unknown> }> {
  const result = await pollUntil(() => runCli(env, 'status', workflowId, '--json'), (r) => r.code !== null && r.stdout.includes(`"status": "${status}"`), timeoutMs);
  return JSON.parse(result.stdout) as { status: string; result: Record<string, unknown> };
}

const workerStatus = (): ResidentWorkerStatus => readWorkerStatus(home)!;

/** The pids of the supervisors running for a state folder (from /proc: command line and environment). */
function supervisorsOf(stateFolder: string): number[] {
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((pid) => {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmdline.includes('worker/supervise.ts') && fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`ATTRIBUTION_HOME=${stateFolder}`);
    } catch {
      return false; // gone meanwhile
    }
  }).map(Number);
}

describe('the resident worker', () => {
  let supervisorPid = 0;

  it('stack up starts it and stack status shows its pid, since when and its restarts', async () => {
    const up = await runCli(env, 'stack', 'up');
    assert.equal(up.code, 0, up.stderr);
    const status = workerStatus();
    supervisorPid = status.supervisorPid;
    assert.match(up.stdout, new RegExp(`^Worker: +up  pid ${status.workerPid}, up since ${status.workerStartedAt}, restarts 0, log ${path.join(home, 'logs', 'worker.log')}$`, 'm'));
    const address = /^Temporal: +(\S+)/m.exec(up.stdout)![1]!;
    client = new Client({ connection: await Connection.connect({ address }), namespace: process.env.TEMPORAL_NAMESPACE ?? 'attribution' });

    const again = await runCli(env, 'stack', 'up'); // idempotent: the same supervisor and worker
    assert.equal(workerStatus().supervisorPid, supervisorPid);
    assert.doesNotMatch(again.stderr, /Starting the resident worker/);
    const shown = await runCli(env, 'stack', 'status');
    assert.equal(shown.code, 0);
    assert.match(shown.stdout, new RegExp(`^Worker: +up  pid ${status.workerPid}, .*restarts 0`, 'm'));
  });

  it('a detached backfill runs to completion with no command in the foreground', async () => {
    const ingest = await runCli(env, 'ingest', EXAMPLE_DIR);
    assert.equal(ingest.code, 0, ingest.stderr);
    const started = await runCli(env, 'backfill', '--from', '2024-01', '--to', '2024-02', '--detach', '--json');
    assert.equal(started.code, 0, started.stderr);
    const { workflowId, status } = JSON.parse(started.stdout) as { workflowId: string; status: string };
    assert.equal(status, 'RUNNING');
    const done = await waitForStatus(workflowId, 'COMPLETED');
    // January and February 2024 (UTC) hold 7 + 9 payments and 1 refund: 17 decisions per book.
    assert.equal(transactionsIn(EXAMPLE_DIR, '2024-01-01T00:00:00Z', '2024-03-01T00:00:00Z'), 17);
    assert.deepEqual({ months: done.result.monthsDone, entries: done.result.entriesWritten, drift: done.result.drift }, { months: 2, entries: 3 * 17, drift: 0 });
  });

  it('a triggered schedule runs its month to completion with no command in the foreground', async () => {
    assert.equal((await runCli(env, 'schedule', 'create')).code, 0);
    const trigger = await runCli(env, 'schedule', 'trigger', '--at', '2024-04-01T03:00:00Z');
    assert.equal(trigger.code, 0, trigger.stderr);
    const actions = await pollUntil(async () => (await client!.schedule.getHandle('attribution-monthly').describe()).info.recentActions, (a) => a.length > 0, 60_000);
    const done = await waitForStatus(actions[0]!.action.workflow.workflowId, 'COMPLETED');
    // March 2024 (UTC) holds 12 payments and 4 refunds.
    assert.equal(transactionsIn(EXAMPLE_DIR, '2024-03-01T00:00:00Z', '2024-04-01T00:00:00Z'), 16);
    assert.equal(done.result.month, '2024-03');
    assert.equal((done.result.run as { progress: { entriesWritten: number } }).progress.entriesWritten, 3 * 16);
  });

  it('a killed worker is restarted by its supervisor', async () => {
    const before = workerStatus();
    process.kill(before.workerPid!, 'SIGKILL');
    const after = await pollUntil(async () => workerStatus(), (s) => s.workerPid !== null && s.workerPid !== before.workerPid && s.readyAt !== null, 60_000);
    assert.equal(after.restarts, 1);
    assert.equal(after.supervisorPid, supervisorPid);
    assert.deepEqual({ signal: after.lastExit?.signal, afterReady: after.lastExit?.afterReady }, { signal: 'SIGKILL', afterReady: true });
    const shown = await runCli(env, 'stack', 'status');
    assert.match(shown.stdout, new RegExp(`^Worker: +up  pid ${after.workerPid}, up since ${after.workerStartedAt}, restarts 1`, 'm'));
  });

  it('a killed supervisor is replaced by the next command, once even when two start together; its orphaned worker is stopped', async () => {
    const before = workerStatus();
    process.kill(before.supervisorPid, 'SIGKILL');
    await pollUntil(async () => isProcessAlive(before.supervisorPid), (alive) => !alive, 10_000);
    const shown = await runCli(env, 'stack', 'status');
    assert.equal(shown.code, 1);
    assert.match(shown.stdout, /^Worker: +DOWN {2}its supervisor is not running/m);

    const both = await Promise.all([runCli(env, 'stack', 'up'), runCli(env, 'stack', 'up')]);
    for (const up of both) assert.equal(up.code, 0, up.stderr);
    supervisorPid = workerStatus().supervisorPid;
    assert.notEqual(supervisorPid, before.supervisorPid);
    assert.deepEqual(supervisorsOf(home), [supervisorPid], 'one supervisor for the state folder');
    await pollUntil(async () => isProcessAlive(before.workerPid!), (alive) => !alive, 30_000);
    assert.match((await runCli(env, 'stack', 'status')).stdout, /^Worker: +up {2}/m);
  });

  it('Ctrl-C on a foreground backfill detaches: how to follow it, no stack trace, exit 130; it completes anyway', async () => {
    assert.equal((await runCli(env, 'ingest', generated)).code, 0);
    const backfill = startCli(env, ['backfill', '--from', '2025-01', '--to', '2025-06']);
    await backfill.printed(/^Workflow \S+$/m);
    backfill.child.kill('SIGINT');
    const result: CliResult = await backfill.done;
    const id = /^Workflow (\S+)$/m.exec(result.stdout)![1]!;
    assert.equal(result.code, 130, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, new RegExp(`Detached from ${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; it keeps running on the worker\\.\\nFollow it with: npx attribution status '`));
    assert.doesNotMatch(result.stderr, STACK_TRACE);
    assert.doesNotMatch(result.stderr, /Error|grpc|Promise did not resolve/);
    assert.doesNotMatch(result.stdout, /Backfill finished/, 'interrupted before the end');
    const during = JSON.parse((await runCli(env, 'status', id, '--json')).stdout) as { status: string; progress: { backfill: { monthsTotal: number } } | null };
    if (during.status === 'RUNNING') assert.equal(during.progress?.backfill.monthsTotal, 6, 'the resident worker answers its progress query');
    const done = await waitForStatus(id, 'COMPLETED', 300_000);
    assert.equal(done.result.monthsDone, 6);
  });

  it('stack down stops the supervisor and the worker', async () => {
    const { workerPid } = workerStatus();
    const down = await runCli(env, 'stack', 'down');
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stderr, /Stopping the resident worker/);
    assert.equal(isProcessAlive(supervisorPid), false, 'supervisor stopped');
    assert.equal(isProcessAlive(workerPid!), false, 'worker stopped');
    assert.match(fs.readFileSync(path.join(home, 'logs', 'worker.log'), 'utf8'), /\[supervisor\] SIGTERM: stopping the worker[\s\S]*\[supervisor\] stopped/);
    const shown = await runCli(env, 'stack', 'status');
    assert.equal(shown.code, 1);
    assert.match(shown.stdout, /^Worker: +not started/m);
  });
});
