// A stack for tests and scripts: embedded Postgres and an in-memory, headless Temporal dev server
// on free ports in a temporary state folder, so a developer's own stack is untouched. With
// DATABASE_URL and TEMPORAL_ADDRESS set, those servers are used instead.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../common/config';
import { stackDown, stackUp, type StackEndpoints } from '../stack';
import { maskDatabaseUrl } from '../stack/localPassword';
import { findOrBuildTemporalCli } from '../stack/temporalCli';

const log = (line: string) => process.stderr.write(`[test stack] ${line}\n`);

export interface ThrowawayStack extends StackEndpoints {
  /** The Temporal CLI, for code that starts a stack of its own (absent with an external cluster). */
  temporalCliPath: string | undefined;
}

export async function withThrowawayStack<T>(work: (stack: ThrowawayStack) => Promise<T>): Promise<T> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-test-'));
  const base = loadConfig();
  const config = loadConfig({ ...process.env, ATTRIBUTION_HOME: home, ATTRIBUTION_TEMPORAL_HEADLESS: '1' });
  // Ignore ATTRIBUTION_*_PORT: the defaults when free, else any free port (never a developer's stack).
  config.preferredPorts = { postgres: undefined, temporal: undefined, temporalUi: undefined };
  // Interrupted (Ctrl-C, a CI timeout): stop the servers rather than leave them running.
  const onSignal = (signal: NodeJS.Signals) => {
    void stackDown(config, log).finally(() => {
      fs.rmSync(home, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const temporalCliPath = base.temporalAddress ? undefined : await findOrBuildTemporalCli(base, log);
    const endpoints = await stackUp(config, log, { persistTemporal: false, residentWorker: false }); // tests bring their own workers
    log(`Postgres ${maskDatabaseUrl(endpoints.databaseUrl)}, Temporal ${endpoints.temporalAddress}`);
    return await work({ ...endpoints, temporalCliPath });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stackDown(config, log).catch((error: Error) => log(`could not stop the test stack: ${error.message}`));
    fs.rmSync(home, { recursive: true, force: true });
  }
}
