// `attribution stack up|status|down` as a newcomer runs it: a state folder of its own, no
// DATABASE_URL / TEMPORAL_ADDRESS, real processes. The UI URL it prints must answer.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../common/config';
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
    const pg = /Postgres: +postgres:\/\/\S+@127\.0\.0\.1:(\d+)\//.exec(up.stdout);
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

    await cli('stack', 'down');
    assert.equal(await portAnswers(Number(pg[1])), false, 'Postgres stopped');
    assert.equal(await portAnswers(Number(temporal[1])), false, 'Temporal stopped');
    assert.equal(await portAnswers(Number(ui[2])), false, 'the UI stopped');
    await assert.rejects(cli('stack', 'status'), (error: { code?: number }) => error.code === 1);
  });
});
