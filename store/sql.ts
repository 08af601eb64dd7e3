// The database idioms every store needs, written once: a transaction on a pooled client, advisory
// locks and savepoints inside it, and COPY … FROM STDIN of rows in Postgres text format (one
// '\n'-terminated row each), either from rows in memory or streamed by a writer for large inputs.
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * Runs `work` in one transaction on a client of `pool`: committed when it resolves, rolled back
 * when it throws. A client that cannot even roll back is discarded rather than returned to the
 * pool, so the next caller never gets a broken connection.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken = !(await client.query('ROLLBACK').then(() => true, () => false));
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Takes the transaction-scoped advisory locks named by `keys`, in the order given. */
export async function advisoryXactLocks(client: pg.PoolClient, keys: ReadonlyArray<string>): Promise<void> {
  for (const key of keys) await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

/**
 * Runs `attempt` under a savepoint: kept when `keep(result)` says so, rolled back to the savepoint
 * otherwise (the transaction goes on as before the attempt). When `attempt` throws, the error goes
 * up unchanged: the caller's transaction is failed and rolls back as a whole.
 */
export async function underSavepoint<T>(client: pg.PoolClient, name: string, attempt: () => Promise<T>, keep: (result: T) => boolean): Promise<T> {
  await client.query(`SAVEPOINT ${name}`);
  const result = await attempt();
  await client.query(keep(result) ? `RELEASE SAVEPOINT ${name}` : `ROLLBACK TO SAVEPOINT ${name}`);
  return result;
}

/**
 * Runs `direct` under a savepoint and, when it fails on a unique key (23505: a row of it is stored
 * already), rolls back to the savepoint and runs `fallback` instead: the cheap write for the usual
 * case, and a careful one (staging, ON CONFLICT) only when something is there before it.
 */
export async function unlessStoredBefore<T>(client: pg.PoolClient, name: string, direct: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
  await client.query(`SAVEPOINT ${name}`);
  try {
    const result = await direct();
    await client.query(`RELEASE SAVEPOINT ${name}`);
    return result;
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
    return fallback();
  }
}

/** Rows per write to the COPY stream: keeps single writes small; COPY buffers them. */
const ROWS_PER_CHUNK = 5000;

/** Streams `rows` through `sql` (a COPY … FROM STDIN): each row in COPY text format, followed by `suffix` (its end, such as '\n', when the row lacks it). */
export function copyRows(client: pg.PoolClient | pg.Client, sql: string, rows: ReadonlyArray<string>, suffix = ''): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const copy = client.query(copyFrom(sql));
    copy.once('finish', resolve);
    copy.once('error', reject);
    // Each chunk is one join: no intermediate string per row for its suffix.
    for (let i = 0; i < rows.length; i += ROWS_PER_CHUNK) copy.write(rows.slice(i, i + ROWS_PER_CHUNK).join(suffix) + suffix);
    copy.end();
  });
}

/**
 * Runs `write` with a `send` that streams COPY text through `sql` (a COPY … FROM STDIN), waiting
 * for the stream to drain, so memory stays bounded however large the input. When `write` or the
 * server fails, the COPY is aborted and the error thrown is the server's when it failed first
 * (a unique violation, 23505, that a caller can act on), else what `write` threw.
 */
export async function copyStreaming(client: pg.PoolClient, sql: string, write: (send: (text: string) => Promise<void>) => Promise<void>): Promise<void> {
  const copy = openCopy(client, sql);
  try {
    await write((text) => copy.send(text));
    await copy.finish();
  } catch (error) {
    throw await copy.abort(error);
  }
}

// A COPY that stops at the server's error. Once the server has failed the COPY (a unique
// violation, a bad value), the connection has moved on: writing more would reach a stream that is
// gone (`Cannot read properties of null (reading 'stream')`). Every write checks first and stops
// with the server's error.
export interface CopyWriter {
  /** Writes COPY text, waiting for the stream to drain; throws the server's error once there is one. */
  send(text: string): Promise<void>;
  /** Ends the COPY and waits for the server to confirm it. */
  finish(): Promise<void>;
  /**
   * Aborts the COPY (the server gets CopyFail, so the transaction can roll back) and returns the
   * error that says what happened: the server's, when it failed first, else `cause`.
   */
  abort(cause: unknown): Promise<unknown>;
  /** The server's own error, if it failed the COPY. */
  readonly serverError: Error | undefined;
}

/** Opens a COPY … FROM STDIN for a caller that must tell the server's error from its own (see copyStreaming for the rest). */
export function openCopy(client: pg.PoolClient, sql: string): CopyWriter {
  const copy = client.query(copyFrom(sql));
  const copied = new Promise<void>((resolve, reject) => {
    copy.once('finish', resolve);
    copy.once('error', reject);
  });
  copied.catch(() => undefined); // observed in finish/abort; this keeps an early server error from being "unhandled"
  let serverError: Error | undefined;
  let aborted = false; // after our own abort, the server's answer ("COPY from stdin failed") is not news
  copy.on('error', (error: Error) => {
    if (!aborted) serverError ??= error;
  });
  const drained = () => new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      copy.off('drain', done);
      copy.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    copy.once('drain', done);
    copy.once('error', done);
  });
  return {
    async send(text) {
      if (serverError) throw serverError;
      if (!copy.write(text)) await drained();
      if (serverError) throw serverError;
    },
    async finish() {
      if (serverError) throw serverError;
      copy.end();
      await copied;
    },
    async abort(cause) {
      aborted = true;
      if (!serverError) copy.destroy(cause instanceof Error ? cause : new Error(String(cause)));
      await copied.catch(() => undefined);
      return serverError ?? cause;
    },
    get serverError() {
      return serverError;
    },
  };
}
