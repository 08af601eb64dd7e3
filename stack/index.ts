// The local stack: what `attribution stack up|down|status` manages and what every command that
// needs Postgres or Temporal goes through. With DATABASE_URL / TEMPORAL_ADDRESS set it uses those
// and starts nothing; otherwise it starts the embedded Postgres and a Temporal dev server from the
// state folder (ATTRIBUTION_HOME, default `.attribution/`), reusing them if they already run.
// What it started is recorded in `<home>/stack.json` so that a later command can stop it.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../common/config';
import { singleClient } from '../db/pool';
import { adoptLocalPassword } from './localPassword';
import { databaseUrl, startEmbeddedPostgres, stopEmbeddedPostgres } from './postgres';
import { choosePort, isProcessAlive, portAnswers, stopProcessGroup } from './processes';
import { findOrBuildTemporalCli, type Log } from './temporalCli';
import { namespaceIsReady, startTemporalDevServer } from './temporalServer';
import { ensureResidentWorker, residentWorkerView, stopResidentWorker, type ResidentWorkerView } from './residentWorker';

export type { ResidentWorkerView } from './residentWorker';

export interface StackEndpoints {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  /** The Temporal Web UI, when we know it. */
  uiUrl: string | undefined;
  /** Whether this stack runs a resident worker (the embedded Temporal, unless asked not to). */
  residentWorker: boolean;
}

interface StackState {
  postgres?: { port: number };
  temporal?: { pid: number; port: number; uiPort?: number; namespace: string; logFile: string };
}

const DEFAULT_PORTS = { postgres: 54329, temporal: 7233, temporalUi: 8233 };

function stateFile(config: Config): string {
  return path.join(config.home, 'stack.json');
}

function readState(config: Config): StackState {
  try {
    return JSON.parse(fs.readFileSync(stateFile(config), 'utf8')) as StackState;
  } catch {
    return {};
  }
}

function writeState(config: Config, state: StackState): void {
  fs.mkdirSync(config.home, { recursive: true });
  fs.writeFileSync(stateFile(config), JSON.stringify(state, null, 2) + '\n');
}

export interface StackUpOptions {
  /** Persist Temporal state in the state folder (default true). Tests use an in-memory server. */
  persistTemporal?: boolean;
  extraTemporalArgs?: string[];
  /**
   * With the embedded Temporal, start and supervise a resident worker (default true). False for
   * the worker entry point itself and for throwaway test stacks, whose tests bring their workers.
   */
  residentWorker?: boolean;
}

/** Makes sure Postgres and Temporal answer, starting what is missing; idempotent. */
export async function stackUp(config: Config, log: Log, options: StackUpOptions = {}): Promise<StackEndpoints> {
  const state = readState(config);

  let pgUrl = config.databaseUrl;
  if (!pgUrl) {
    if (!state.postgres || !(await portAnswers(state.postgres.port))) {
      const port = await choosePort(config.preferredPorts.postgres ?? DEFAULT_PORTS.postgres);
      log(`Starting the embedded PostgreSQL on port ${port}`);
      await startEmbeddedPostgres(config.home, port, log);
      state.postgres = { port };
      writeState(config, state);
    } else {
      await adoptLocalPassword(config.home, state.postgres.port, log); // a cluster started before random passwords
    }
    pgUrl = databaseUrl(config.home, state.postgres.port);
  }

  let temporalAddress = config.temporalAddress;
  let uiUrl: string | undefined;
  if (!temporalAddress) {
    const running = state.temporal;
    const alive =
      running && isProcessAlive(running.pid) && (await namespaceIsReady(`127.0.0.1:${running.port}`, config.namespace));
    if (!alive) {
      const cliPath = await findOrBuildTemporalCli(config, log);
      const port = await choosePort(config.preferredPorts.temporal ?? DEFAULT_PORTS.temporal);
      const uiPort = config.temporalHeadless ? undefined : await choosePort(config.preferredPorts.temporalUi ?? DEFAULT_PORTS.temporalUi);
      log(`Starting the Temporal dev server on port ${port}${uiPort ? ` (Web UI on ${uiPort})` : ''}`);
      const { pid, logFile } = await startTemporalDevServer({
        cliPath,
        home: config.home,
        port,
        uiPort,
        namespace: config.namespace,
        persist: options.persistTemporal ?? true,
        extraArgs: options.extraTemporalArgs,
      });
      state.temporal = { pid, port, uiPort, namespace: config.namespace, logFile };
      writeState(config, state);
    }
    temporalAddress = `127.0.0.1:${state.temporal!.port}`;
    if (state.temporal!.uiPort) uiUrl = `http://127.0.0.1:${state.temporal!.uiPort}`;
  }
  const residentWorker = !config.temporalAddress && options.residentWorker !== false;
  if (residentWorker) {
    await ensureResidentWorker(config, { databaseUrl: pgUrl, temporalAddress, namespace: config.namespace, taskQueue: config.taskQueue }, log);
  }
  return { databaseUrl: pgUrl, temporalAddress, namespace: config.namespace, uiUrl, residentWorker };
}

/** Stops what `stackUp` started from this state folder; external services are left alone. */
export async function stackDown(config: Config, log: Log): Promise<void> {
  const state = readState(config);
  await stopResidentWorker(config, log); // first: it would only retry against stopped servers
  if (state.temporal && isProcessAlive(state.temporal.pid)) {
    log(`Stopping the Temporal dev server (pid ${state.temporal.pid})`);
    await stopProcessGroup(state.temporal.pid);
  }
  if (!config.databaseUrl && (await stopEmbeddedPostgres(config.home))) log('Stopped the embedded PostgreSQL');
  writeState(config, {});
}

async function postgresAnswers(url: string): Promise<boolean> {
  const client = singleClient({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface StackStatus {
  postgres: { url: string; up: boolean; external: boolean } | undefined;
  temporal: { address: string; up: boolean; external: boolean; uiUrl: string | undefined } | undefined;
  worker: ResidentWorkerView;
}

export async function stackStatus(config: Config): Promise<StackStatus> {
  const state = readState(config);
  const postgres = config.databaseUrl
    ? { url: config.databaseUrl, up: await postgresAnswers(config.databaseUrl), external: true }
    : state.postgres && { url: databaseUrl(config.home, state.postgres.port), up: await portAnswers(state.postgres.port), external: false };
  const temporal = config.temporalAddress
    ? { address: config.temporalAddress, up: await namespaceIsReady(config.temporalAddress, config.namespace), external: true, uiUrl: undefined }
    : state.temporal && {
        address: `127.0.0.1:${state.temporal.port}`,
        up: isProcessAlive(state.temporal.pid) && (await namespaceIsReady(`127.0.0.1:${state.temporal.port}`, state.temporal.namespace)),
        external: false,
        uiUrl: state.temporal.uiPort ? `http://127.0.0.1:${state.temporal.uiPort}` : undefined,
      };
  return { postgres, temporal, worker: residentWorkerView(config) };
}
