// A connection that Postgres terminates (57P01, as on a restart) while the client is checked out
// must fail that client's queries, never the process: before db/pool.ts gave every client an
// error listener, this crashed the CLI and the worker with "Unhandled 'error' event".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { singleClient, withClient } from '../../db/pool';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('pool');
});
after(async () => db.drop());

const terminate = async (pid: number) => {
  await db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
  await new Promise((r) => setTimeout(r, 300)); // the server's 57P01 reaches the idle client
};

describe('db/pool', () => {
  it('a checked-out client whose connection is terminated fails its next query; the pool carries on', async () => {
    await assert.rejects(withClient(db.pool, async (client) => {
      const { pid } = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
      await terminate(pid);
      await client.query('SELECT 1');
    }), /connection error and is not queryable/);
    assert.equal((await db.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one, 1);
  });

  it('so does a single client outside the pool', async () => {
    const client = singleClient({ connectionString: db.url });
    await client.connect();
    const { pid } = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
    await terminate(pid);
    await assert.rejects(client.query('SELECT 1'));
    await client.end().catch(() => undefined);
  });
});
