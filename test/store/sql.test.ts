// The database idioms of store/sql.ts: a transaction that rolls back on error and never returns a
// broken connection to the pool, savepoints that keep or undo an attempt, and the streaming COPY
// that reports the server's error (so a caller can act on 23505) rather than its own abort.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { copyStreaming, inTransaction, underSavepoint, unlessStoredBefore } from '../../store/sql';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('store_sql');
  await db.pool.query('CREATE TABLE t (id integer PRIMARY KEY, note text)');
});
after(async () => db.drop());

const ids = async (): Promise<number[]> => (await db.pool.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id);

describe('inTransaction', () => {
  it('commits what the work wrote, and rolls all of it back when the work throws', async () => {
    await inTransaction(db.pool, (c) => c.query('INSERT INTO t VALUES (1)'));
    await assert.rejects(inTransaction(db.pool, async (c) => {
      await c.query('INSERT INTO t VALUES (2)');
      throw new Error('refused');
    }), /refused/);
    assert.deepEqual(await ids(), [1]);
    await db.pool.query('DELETE FROM t');
  });

  it('discards a client that cannot roll back instead of returning it to the pool, and throws the work\'s error', async () => {
    // pg-pool drops a client whose socket is gone by itself; a client that still answers but fails
    // its ROLLBACK is the case only inTransaction can see. A stand-in client plays it.
    const released: Array<boolean | undefined> = [];
    const client = {
      query: (sql: string) => (sql === 'ROLLBACK' ? Promise.reject(new Error('no rollback')) : Promise.resolve({ rows: [] })),
      release: (destroy?: boolean) => released.push(destroy),
    };
    const pool = { connect: () => Promise.resolve(client) } as unknown as pg.Pool;
    await assert.rejects(inTransaction(pool, () => Promise.reject(new Error('work failed'))), /work failed/);
    await inTransaction(pool, () => Promise.resolve());
    assert.deepEqual(released, [true, false]);
  });
});

describe('underSavepoint', () => {
  it('keeps an attempt it is told to keep and undoes one it is not, leaving the transaction usable', async () => {
    await inTransaction(db.pool, async (c) => {
      await underSavepoint(c, 'a', () => c.query('INSERT INTO t VALUES (10)'), () => true);
      await underSavepoint(c, 'b', () => c.query('INSERT INTO t VALUES (11)'), () => false);
      await c.query('INSERT INTO t VALUES (12)');
    });
    assert.deepEqual(await ids(), [10, 12]);
    await db.pool.query('DELETE FROM t');
  });
});

describe('unlessStoredBefore', () => {
  const insert = (c: pg.PoolClient, values: string) => c.query(`INSERT INTO t (id, note) VALUES ${values}`);

  it('keeps the direct write when no key is stored, and runs no fallback', async () => {
    const ran: string[] = [];
    await inTransaction(db.pool, (c) => unlessStoredBefore(c, 'w', async () => {
      ran.push('direct');
      await insert(c, "(1, 'direct')");
    }, async () => {
      ran.push('fallback');
    }));
    assert.deepEqual(ran, ['direct']);
    assert.deepEqual(await ids(), [1]);
    await db.pool.query('DELETE FROM t');
  });

  it('on a stored key undoes all of the direct write, then the fallback writes, in the same transaction', async () => {
    await db.pool.query("INSERT INTO t VALUES (2, 'stored')");
    const result = await inTransaction(db.pool, async (c) => {
      await insert(c, "(1, 'before')");
      const outcome = await unlessStoredBefore(c, 'w', async () => {
        await insert(c, "(3, 'direct')"); // written, then undone with the rest of the attempt
        await insert(c, "(2, 'direct')");
        return 'direct';
      }, async () => {
        await insert(c, "(2, 'fallback'), (3, 'fallback') ON CONFLICT (id) DO NOTHING");
        return 'fallback';
      });
      await insert(c, "(4, 'after')");
      return outcome;
    });
    assert.equal(result, 'fallback');
    const rows = await db.pool.query<{ id: number; note: string }>('SELECT id, note FROM t ORDER BY id');
    assert.deepEqual(rows.rows, [{ id: 1, note: 'before' }, { id: 2, note: 'stored' }, { id: 3, note: 'fallback' }, { id: 4, note: 'after' }]);
    await db.pool.query('DELETE FROM t');
  });

  it('lets any other error through and runs no fallback', async () => {
    let fallbacks = 0;
    await assert.rejects(inTransaction(db.pool, (c) => unlessStoredBefore(c, 'w', () => insert(c, "('x', 'not a number')"), async () => {
      fallbacks++;
      return { rows: [] } as unknown as pg.QueryResult;
    })), /invalid input syntax for type integer/);
    assert.equal(fallbacks, 0);
    assert.deepEqual(await ids(), []);
  });
});

describe('copyStreaming', () => {
  const copyIds = (c: pg.PoolClient, from: number, to: number, after?: () => void) =>
    copyStreaming(c, 'COPY t (id, note) FROM STDIN', async (send) => {
      for (let i = from; i < to; i += 1000) {
        const rows: string[] = [];
        for (let id = i; id < Math.min(i + 1000, to); id++) rows.push(`${id}\tnote ${id}\n`);
        await send(rows.join(''));
        after?.();
      }
    });

  it('streams a large input chunk by chunk', async () => {
    await inTransaction(db.pool, (c) => copyIds(c, 0, 50_000));
    const r = await db.pool.query<{ n: string; s: string }>('SELECT count(*) AS n, sum(id) AS s FROM t');
    assert.deepEqual(r.rows[0], { n: '50000', s: String((49_999 * 50_000) / 2) });
    await db.pool.query('DELETE FROM t');
  });

  it("throws the server's unique violation (23505), not the writer's later refusal or the abort", async () => {
    await db.pool.query('INSERT INTO t VALUES (500)');
    const error = await inTransaction(db.pool, (c) => copyStreaming(c, 'COPY t (id, note) FROM STDIN', async (send) => {
      // COPY inserts in batches of 1000 rows: these 3000 make the server reach row 500 and fail.
      for (let i = 0; i < 3000; i += 1000) await send(Array.from({ length: 1000 }, (_, k) => `${i + k}\tn\n`).join(''));
      await new Promise((resolve) => setTimeout(resolve, 300)); // its answer has arrived by now
      throw new Error('the writer gives up');
    })).then(() => undefined, (e: unknown) => e as { code?: string; message: string });
    assert.equal(error?.code, '23505', error?.message);
  });

  it('throws a unique violation found only when the COPY ends', async () => {
    const error = await inTransaction(db.pool, (c) => copyIds(c, 499, 502)).then(() => undefined, (e: unknown) => e as { code?: string });
    assert.equal(error?.code, '23505');
    assert.deepEqual(await ids(), [500]);
  });

  it("throws the writer's own error when the server had none; after the rollback the pool's clients work", async () => {
    await assert.rejects(inTransaction(db.pool, (c) => copyIds(c, 1000, 3000, () => {
      throw new Error('bad line 7');
    })), /bad line 7/);
    await inTransaction(db.pool, (c) => copyIds(c, 1000, 1002));
    assert.deepEqual(await ids(), [500, 1000, 1001]);
  });
});
