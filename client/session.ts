// What every CLI command that does work needs: the stack (external, or the embedded default
// started on demand), a migrated database, a Temporal client and, when Temporal is the local dev
// server, an in-process worker for the duration of the command.
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type pg from 'pg';
import { loadConfig, type Config } from '../common/config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { stackUp, type StackEndpoints } from '../stack';
import { createWorker } from '../worker/createWorker';

export interface Session {
  config: Config;
  endpoints: StackEndpoints;
  pool: pg.Pool;
  client: Client;
}

export const log = (line: string) => process.stderr.write(`${line}\n`);

let runtimeInstalled = false;

/** The SDK logs worker state changes and expected activity failures; the CLI reports outcomes itself. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeInstalled = true;
}

export async function withSession<T>(work: (session: Session) => Promise<T>, options: { worker: boolean }): Promise<T> {
  const config = loadConfig();
  const endpoints = await stackUp(config, log);
  const pool = createPool(endpoints.databaseUrl);
  let connection: Connection | undefined;
  try {
    await migrate(pool);
    connection = await Connection.connect({ address: endpoints.temporalAddress });
    const session: Session = { config, endpoints, pool, client: new Client({ connection, namespace: endpoints.namespace }) };
    // With an external cluster, its workers do the work; with the local dev server we bring one.
    if (!options.worker || config.temporalAddress) return await work(session);
    quietRuntime();
    const workerConnection = await NativeConnection.connect({ address: endpoints.temporalAddress });
    try {
      const worker = await createWorker({ connection: workerConnection, namespace: endpoints.namespace, taskQueue: config.taskQueue, pool });
      return await worker.runUntil(work(session));
    } finally {
      await workerConnection.close();
    }
  } finally {
    await connection?.close();
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
