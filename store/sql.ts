// The two database idioms every store needs, written once: a transaction on a pooled client, and
// a COPY … FROM STDIN of pre-formatted rows (Postgres text format, one '\n'-terminated row each).
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** Runs `work` in one transaction on a client of `pool`: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Rows per write to the COPY stream: keeps single writes small; COPY buffers them. */
const ROWS_PER_CHUNK = 5000;

/** Streams `rows` (each already in COPY text format, ending in '\n') through `sql` (a COPY … FROM STDIN). */
export function copyRows(client: pg.PoolClient | pg.Client, sql: string, rows: ReadonlyArray<string>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const copy = client.query(copyFrom(sql));
    copy.once('finish', resolve);
    copy.once('error', reject);
    for (let i = 0; i < rows.length; i += ROWS_PER_CHUNK) copy.write(rows.slice(i, i + ROWS_PER_CHUNK).join(''));
    copy.end();
  });
}
