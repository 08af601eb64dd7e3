// What every CLI command that does work needs: the stack (external, or the embedded default
// started on demand, resident worker included), a migrated database and a Temporal client. The
// work itself is done by workers outside this process: the resident worker on the embedded
// default, the cluster's workers with TEMPORAL_ADDRESS (docs/cli-and-worker.md, "The resident worker").
import crypto from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import { loadConfig, type Config } from '../common/config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { stackUp, type StackEndpoints } from '../stack';
import { waitForResidentWorker } from '../stack/residentWorker';
import { trackCalls } from './grpcCalls';

export interface Session {
  config: Config;
  endpoints: StackEndpoints;
  pool: pg.Pool;
  client: Client;
}

export const log = (line: string) => process.stderr.write(`${line}\n`);

/** How long the CLI waits, after its work, for calls still being retried before it closes the connection. */
const CALLS_SETTLE_MS = 20_000;

/**
 * `worker: true` for commands whose workflows must be picked up: on the embedded default they wait
 * until the resident worker (started by stackUp) polls, and fail with its log if it cannot start.
 */
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
    if (options.worker && endpoints.residentWorker) await waitForResidentWorker(config);
    return await work(session);
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
