// What every CLI command that does work needs: the stack (external, or the embedded default
// started on demand), a migrated database, a Temporal client and, when Temporal is the local dev
// server, an in-process worker for the duration of the command.
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type pg from 'pg';
import { loadConfig, type Config } from '../common/config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { stackUp, type StackEndpoints } from '../stack';
import { createWorker } from '../worker/createWorker';
import { runWorkersUntil } from '../worker/resilientWorker';
import { trackCalls } from './grpcCalls';

export interface Session {
  config: Config;
  endpoints: StackEndpoints;
  pool: pg.Pool;
  client: Client;
}

export const log = (line: string) => process.stderr.write(`${line}\n`);

let runtimeInstalled = false;

/**
 * The SDK logs worker state changes, expected activity failures and (from its Rust core, straight
 * to the console) every retried call during an outage; the CLI reports outcomes itself.
 */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } } });
  runtimeInstalled = true;
}

/** How long the CLI waits, after its work, for calls still being retried before it closes the connection. */
const CALLS_SETTLE_MS = 20_000;

export async function withSession<T>(work: (session: Session) => Promise<T>, options: { worker: boolean }): Promise<T> {
  const config = loadConfig();
  const endpoints = await stackUp(config, log);
  const pool = createPool(endpoints.databaseUrl);
  const calls = trackCalls();
  let connection: Connection | undefined;
  try {
    await migrate(pool);
    connection = await Connection.connect({ address: endpoints.temporalAddress, interceptors: calls.interceptors });
    const session: Session = { config, endpoints, pool, client: new Client({ connection, namespace: endpoints.namespace }) };
    // With an external cluster, its workers do the work; with the local dev server we bring one.
    if (!options.worker || config.temporalAddress) return await work(session);
    quietRuntime();
    return await runWorkersUntil({
      address: endpoints.temporalAddress,
      make: (workerConnection) => createWorker({ connection: workerConnection, namespace: endpoints.namespace, taskQueue: config.taskQueue, pool }),
      log,
    }, work(session));
  } finally {
    // A call still being retried (a progress query during an outage) must end before its channel closes.
    if (connection && (await calls.settled(CALLS_SETTLE_MS))) await connection.close();
    await pool.end();
  }
}

export function workflowUrl(endpoints: StackEndpoints, workflowId: string): string | undefined {
  return endpoints.uiUrl && `${endpoints.uiUrl}/namespaces/${encodeURIComponent(endpoints.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

/** A stable, readable key for a dataset directory: its name plus a digest of its absolute path. */
export function datasetKey(dir: string): string {
  const absolute = path.resolve(dir);
  return `${path.basename(absolute)}-${crypto.createHash('sha256').update(absolute).digest('hex').slice(0, 8)}`;
}
