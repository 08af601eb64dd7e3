// `npm test` (after type checking and lint): starts a throwaway stack (embedded Postgres and an
// in-memory Temporal dev server on free ports, in a temporary state folder, so a developer's own
// stack is untouched), runs every test file with node's test runner against it, then stops it.
// With DATABASE_URL and TEMPORAL_ADDRESS set it uses those servers instead.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../common/config';
import { stackDown, stackUp } from '../stack';
import { findOrBuildTemporalCli } from '../stack/temporalCli';

const log = (line: string) => process.stderr.write(`[test stack] ${line}\n`);

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'helpers' || entry.name === 'fixtures' ? [] : testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

async function main(): Promise<number> {
  const only = process.argv.slice(2);
  const files = only.length > 0 ? only : testFiles(path.join(PROJECT_ROOT, 'test')).sort();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-test-'));
  const base = loadConfig();
  const config = loadConfig({
    ...process.env,
    ATTRIBUTION_HOME: home,
    ATTRIBUTION_TEMPORAL_HEADLESS: '1',
    ATTRIBUTION_PG_PORT: undefined,
    ATTRIBUTION_TEMPORAL_PORT: undefined,
  });
  config.preferredPorts = { postgres: undefined, temporal: undefined, temporalUi: undefined }; // any free port
  try {
    // Tests that start a stack of their own (the CLI's `stack up`) need the binary too.
    const cliPath = base.temporalAddress ? undefined : await findOrBuildTemporalCli(base, log);
    const endpoints = await stackUp(config, log, { persistTemporal: false });
    log(`Postgres ${endpoints.databaseUrl}, Temporal ${endpoints.temporalAddress}`);
    const env = {
      ...process.env,
      DATABASE_URL: endpoints.databaseUrl,
      TEMPORAL_ADDRESS: endpoints.temporalAddress,
      TEMPORAL_NAMESPACE: endpoints.namespace,
      ...(cliPath ? { TEMPORAL_CLI_PATH: cliPath } : {}),
    };
    return await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { env, stdio: 'inherit', cwd: PROJECT_ROOT });
      child.once('close', (code) => resolve(code ?? 1));
    });
  } finally {
    await stackDown(config, log).catch((error: Error) => log(`could not stop the test stack: ${error.message}`));
    fs.rmSync(home, { recursive: true, force: true });
  }
}

process.exitCode = await main();
