// `attribution stack up|status|down` as a newcomer runs it: a state folder of its own, no
// DATABASE_URL / TEMPORAL_ADDRESS, real processes. The UI URL it prints must answer.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { PROJECT_ROOT } from '../common/config';
import { localPasswordFile, maskDatabaseUrl, readOrCreateLocalPassword } from '../stack/localPassword';
import { portAnswers } from '../stack/processes';

const exec = promisify(execFile);
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-stack-test-'));
const env: NodeJS.ProcessEnv = { ...process.env, ATTRIBUTION_HOME: home };
delete env.DATABASE_URL;
delete env.TEMPORAL_ADDRESS;

const cli = (...args: string[]) => exec(process.execPath, [path.join(PROJECT_ROOT, 'client', 'bin.js'), ...args], { env, cwd: PROJECT_ROOT });

after(async () => {
  await cli('stack', 'down').catch(() => undefined);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('attribution stack', () => {
  it('up prints a Temporal UI URL that answers and a Postgres URL; status sees both; down stops them', async () => {
    const up = await cli('stack', 'up');
    const ui = /Temporal UI: (http:\/\/127\.0\.0\.1:(\d+))/.exec(up.stdout);
    const pg = /Postgres: +postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:(\d+)\//.exec(up.stdout);
    const temporal = /Temporal: +127\.0\.0\.1:(\d+)/.exec(up.stdout);
    assert.ok(ui && pg && temporal, `unexpected output:\n${up.stdout}`);
    const response = await fetch(ui[1]!);
    assert.equal(response.status, 200);

    const again = await cli('stack', 'up'); // idempotent: the running stack is reused
    assert.match(again.stdout, new RegExp(`Temporal UI: ${ui[1]}`));
    assert.doesNotMatch(again.stderr, /Starting/);

    const status = await cli('stack', 'status');
    assert.match(status.stdout, /Postgres: +up/);
    assert.match(status.stdout, /Temporal: +up/);

    assert.match(status.stdout, /Postgres: +up +postgres:\/\/postgres:\*\*\*@/);
    await checkLocalPassword(Number(pg[1]), `${up.stdout}${up.stderr}${status.stdout}${status.stderr}`);

    await cli('stack', 'down');
    assert.equal(await portAnswers(Number(pg[1])), false, 'Postgres stopped');
    assert.equal(await portAnswers(Number(temporal[1])), false, 'Temporal stopped');
    assert.equal(await portAnswers(Number(ui[2])), false, 'the UI stopped');
    await assert.rejects(cli('stack', 'status'), (error: { code?: number }) => error.code === 1);
  });
});

const LEGACY = 'attribution-local';

async function logsIn(port: number, password: string): Promise<boolean> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The password is random, in a 0600 file, never printed; a cluster on the old fixed password is moved off it. */
async function checkLocalPassword(port: number, printed: string): Promise<void> {
  const file = localPasswordFile(home);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const password = fs.readFileSync(file, 'utf8').trim();
  assert.match(password, /^[A-Za-z0-9_-]{32}$/, '24 random bytes, base64url');
  assert.ok(!printed.includes(password), 'the password is never printed');
  assert.match(printed, new RegExp(`password in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(await logsIn(port, password), true);
  assert.equal(await logsIn(port, LEGACY), false, 'the old fixed password no longer works');

  // A state folder from before: the cluster has the fixed password and there is no password file.
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  await admin.query(`ALTER ROLE postgres PASSWORD '${LEGACY}'`);
  await admin.end();
  fs.rmSync(file);
  const again = await cli('stack', 'up');
  assert.match(again.stderr, /Replaced the embedded Postgres superuser's old fixed password/);
  const replaced = fs.readFileSync(file, 'utf8').trim();
  assert.notEqual(replaced, password);
  assert.equal(await logsIn(port, replaced), true);
  assert.equal(await logsIn(port, LEGACY), false);
}

describe('local password', () => {
  it('differs between state folders, and a file readable by others is narrowed to 0600', () => {
    const [a, b] = [fs.mkdtempSync(path.join(os.tmpdir(), 'pw-a-')), fs.mkdtempSync(path.join(os.tmpdir(), 'pw-b-'))];
    try {
      const first = readOrCreateLocalPassword(a);
      assert.equal(readOrCreateLocalPassword(a), first, 'stable for a state folder');
      assert.notEqual(readOrCreateLocalPassword(b), first);
      fs.chmodSync(localPasswordFile(a), 0o644);
      readOrCreateLocalPassword(a);
      assert.equal(fs.statSync(localPasswordFile(a)).mode & 0o777, 0o600);
    } finally {
      fs.rmSync(a, { recursive: true, force: true });
      fs.rmSync(b, { recursive: true, force: true });
    }
  });

  it('is masked in printed URLs', () => {
    assert.equal(maskDatabaseUrl('postgres://postgres:s3cr%2Ft@127.0.0.1:5432/attribution'), 'postgres://postgres:***@127.0.0.1:5432/attribution');
    assert.equal(maskDatabaseUrl('postgres://u@db/x'), 'postgres://u@db/x');
    assert.equal(maskDatabaseUrl('host=db password=x'), '(a connection string that is not a URL; not shown)');
  });
});
