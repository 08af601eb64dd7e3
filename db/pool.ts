// One pg pool per process, made by the entry point and passed to whoever needs it.
//
// A connection can die under us at any time (Postgres restarted: 57P01 "terminating connection
// due to administrator command", a network cut). `pg` reports that as an 'error' event on the
// client, and an EventEmitter 'error' without a listener kills the process. The pool listens on
// its idle clients only, so every client gets a listener of its own when it is made (below): a
// dead connection then fails the query in flight, which fails the activity, which Temporal
// retries (docs/decisions.md, "Outages").
import pg from 'pg';

// Keep NUMERIC (1700) and BIGINT (20) as strings: money never becomes a JavaScript float.
pg.types.setTypeParser(1700, (v) => v);
pg.types.setTypeParser(20, (v) => v);

/** Swallows a client's 'error' event: the query in flight (if any) is rejected with the same error. */
export function ignoreConnectionErrors<T extends pg.Client | pg.PoolClient>(client: T): T {
  client.on('error', () => undefined);
  return client;
}

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'revenue-attribution' });
  // An idle client that loses its connection: the pool drops it, the next checkout reconnects.
  pool.on('error', () => undefined);
  // Every client, idle or checked out, for its whole life (the pool's own listener covers idle ones only).
  pool.on('connect', (client) => ignoreConnectionErrors(client));
  return pool;
}

/**
 * Checks a client out for `work` and gives it back; a client whose work failed is destroyed
 * rather than returned, so a half-finished transaction or a dead connection never serves again.
 */
export async function withClient<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.release(failure);
  }
}

/** A single connection outside a pool (stack checks, admin statements), with the same protection. */
export function singleClient(config: pg.ClientConfig): pg.Client {
  return ignoreConnectionErrors(new pg.Client(config));
}
