// The CLI through an outage, on a stack of its own (its own state folder, ports and persisted
// Temporal): `attribution run` is started, and in the middle of the run Postgres is restarted
// (pg_ctl stop -m fast: every connection gets 57P01) or the Temporal dev server is killed
// (SIGKILL) and started again. The command must finish as if nothing happened: exit code 0, the
// reconciliation printed, no stack trace, and the same ledger as an uninterrupted run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PROJECT_ROOT } from '../../common/config';
import { createPool } from '../../db/pool';
import { generateDataset } from '../../scripts/generator/dataset';
import { parseGenerateOptions } from '../../scripts/generator/options';
import { readOrCreateLocalPassword } from '../../stack/localPassword';
import { startEmbeddedPostgres, stopEmbeddedPostgres } from '../../stack/postgres';
import { choosePort, stopProcessGroup } from '../../stack/processes';
import { ledgerSnapshot } from '../helpers/ledger';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-outage-'));
const dataset = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-outage-data-'));
const ports = { postgres: 0, temporal: 0 };
const env: NodeJS.ProcessEnv = { ...process.env, ATTRIBUTION_HOME: home, ATTRIBUTION_TEMPORAL_HEADLESS: '1', TEMPORAL_TASK_QUEUE: 'outage-test' };
for (const name of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE']) delete env[name];

interface CliRun { code: number | null; stdout: string; stderr: string }

/** Runs the CLI and collects its output. */
function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'client', 'bin.js'), ...args], { env: { ...env, ...extraEnv }, cwd: PROJECT_ROOT });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (d: Buffer) => { out.stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => {
      out.stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, ...out });
    });
  });
}

const urlOf = (database: string) => `postgres://postgres:${encodeURIComponent(readOrCreateLocalPassword(home))}@127.0.0.1:${ports.postgres}/${database}`;

async function createDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: urlOf('postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

const runArgs = ['run', '--dataset', dataset, '--as-of', '2024-07-01'];

/**
 * A run of the CLI into its own database; `fault` is called once, in the middle of the books: as
 * soon as the database holds the first book shard's result (read from Postgres, not from the
 * progress lines, which a pipe only sees every few seconds).
 */
async function runInto(database: string, fault?: () => Promise<void>): Promise<{ run: CliRun; faultedAt: string | undefined }> {
  await createDatabase(database);
  let faulted: Promise<void> | undefined;
  let faultedAt: string | undefined;
  const watcher = fault ? watchForBooks(database, (shards) => {
    faultedAt = `${shards} book shard(s) written`;
    faulted = fault();
  }) : undefined;
  const run = await cli(runArgs, { DATABASE_URL: urlOf(database) });
  watcher?.stop();
  await faulted;
  return { run, faultedAt };
}

/** Polls the run's database every 100 ms until a book shard has a result, then calls `then` once. */
function watchForBooks(database: string, then: (shards: number) => void): { stop(): void } {
  const pool = createPool(urlOf(database), 1);
  let done = false;
  const timer = setInterval(() => {
    if (done) return;
    pool.query<{ n: number }>("SELECT count(*)::int AS n FROM run_shard_results WHERE shard >= 0")
      .then((r) => {
        if (done || r.rows[0]!.n === 0) return;
        done = true;
        then(r.rows[0]!.n);
      })
      .catch(() => undefined); // not migrated yet, or Postgres is the fault
  }, 100);
  return { stop() { done = true; clearInterval(timer); void pool.end().catch(() => undefined); } };
}

async function ledgerOf(database: string) {
  const pool = createPool(urlOf(database), 2);
  try {
    return await ledgerSnapshot(pool);
  } finally {
    await pool.end();
  }
}

function temporalPid(): number {
  return (JSON.parse(fs.readFileSync(path.join(home, 'stack.json'), 'utf8')) as { temporal: { pid: number } }).temporal.pid;
}

before(async () => {
  ports.postgres = await choosePort(undefined);
  do ports.temporal = await choosePort(undefined); while (ports.temporal === ports.postgres);
  Object.assign(env, { ATTRIBUTION_PG_PORT: String(ports.postgres), ATTRIBUTION_TEMPORAL_PORT: String(ports.temporal) });
  await generateDataset(parseGenerateOptions({ accounts: '3000', seed: '23', out: dataset, months: '6', start: '2024-01', usagePerAccount: '20' }));
  const up = await cli(['stack', 'up']);
  assert.equal(up.code, 0, up.stderr);
});
after(async () => {
  await cli(['stack', 'down']).catch(() => undefined);
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(dataset, { recursive: true, force: true });
});

/** What must hold after any outage: success, the reconciliation, no trace of a crash, the same ledger. */
async function assertUnharmed(database: string, outcome: { run: CliRun; faultedAt: string | undefined }, clean: Awaited<ReturnType<typeof ledgerOf>>) {
  const { run, faultedAt } = outcome;
  const output = `${run.stdout}\n${run.stderr}`;
  assert.ok(faultedAt !== undefined, `the fault was injected during the books:\n${output}`);
  assert.equal(run.code, 0, output);
  assert.match(run.stdout, /Reconciliation \(billing = attributed \+ excluded\)/);
  assert.doesNotMatch(output, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
  assert.doesNotMatch(output, /Unhandled|Channel has been shut down|57P01|Error:/);
  assert.deepEqual(await ledgerOf(database), clean);
}

describe('attribution run through an outage', () => {
  let clean: Awaited<ReturnType<typeof ledgerOf>>;
  before(async () => {
    const { run } = await runInto('uninterrupted');
    assert.equal(run.code, 0, run.stderr);
    clean = await ledgerOf('uninterrupted');
    assert.ok(clean.lines.length > 10_000, `a real ledger (${clean.lines.length} lines)`);
  });

  it('Postgres restarted mid-run: same ledger, exit code 0, no stack trace', async () => {
    const outcome = await runInto('postgres_restart', async () => {
      await stopEmbeddedPostgres(home); // -m fast: open connections are terminated (57P01)
      await new Promise((r) => setTimeout(r, 3000));
      await startEmbeddedPostgres(home, ports.postgres, () => undefined);
    });
    await assertUnharmed('postgres_restart', outcome, clean);
  });

  it('Temporal dev server killed and started again mid-run: same ledger, exit code 0, no stack trace', async () => {
    const outcome = await runInto('temporal_restart', async () => {
      await stopProcessGroup(temporalPid(), 0); // SIGKILL at once
      await new Promise((r) => setTimeout(r, 5000));
      // With the run's own DATABASE_URL: the resident worker serves the database of the last command.
      const up = await cli(['stack', 'up'], { DATABASE_URL: urlOf('temporal_restart') });
      assert.equal(up.code, 0, up.stderr);
    });
    await assertUnharmed('temporal_restart', outcome, clean);
  });
});
