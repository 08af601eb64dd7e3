// The contexts store's write (store/contexts.ts, writeContextShard): a shard's contexts go straight
// into account_contexts; when some account's context is stored already (two attempts at one shard,
// or the same context under another shard count), the stored one is kept, the others are written,
// and the marker row says the shard is done.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeContextShard } from '../../store/contexts';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('contexts_store');
});
after(async () => db.drop());

const COLUMNS = 'context_id, account_id, shard, active_end, net_currencies, net_amounts, usage_platforms, usage_units, '
  + 'touch_platforms, touch_at, touch_users, orphan_disconnects';
/** A context whose net revenue in USD is `net`: enough to tell two writes of one account apart. */
const line = (accountId: string, shard: number, net: string) =>
  `ctx-1\t${accountId}\t${shard}\t2024-04-01 00:00:00+00\t{USD}\t{${net}}\t{}\t{}\t{}\t{}\t{}\t0\n`;

async function stored(): Promise<string[]> {
  const r = await db.pool.query<{ row: string }>(
    "SELECT concat_ws('|', account_id, shard, net_amounts[1]) AS row FROM account_contexts WHERE context_id = 'ctx-1' ORDER BY account_id");
  return r.rows.map((x) => x.row);
}

async function markers(): Promise<string[]> {
  const r = await db.pool.query<{ row: string }>(
    "SELECT concat_ws('|', shard_count, shard, accounts) AS row FROM context_shards WHERE context_id = 'ctx-1' ORDER BY shard_count, shard");
  return r.rows.map((x) => x.row);
}

describe('writeContextShard', () => {
  it('stores a fresh shard and its marker', async () => {
    await writeContextShard(db.pool, { contextId: 'ctx-1', shardCount: 2, shard: 0 }, COLUMNS, [line('a1', 0, '10.0000'), line('a2', 0, '20.0000')]);
    assert.deepEqual(await stored(), ['a1|0|10.0000', 'a2|0|20.0000']);
    assert.deepEqual(await markers(), ['2|0|2']);
  });

  it('keeps a context stored before and writes the rest, without failing', async () => {
    // The same context under four shards: a2 is stored (from the run of two shards), a3 is new.
    await writeContextShard(db.pool, { contextId: 'ctx-1', shardCount: 4, shard: 1 }, COLUMNS, [line('a2', 1, '99.0000'), line('a3', 1, '30.0000')]);
    assert.deepEqual(await stored(), ['a1|0|10.0000', 'a2|0|20.0000', 'a3|1|30.0000']);
    assert.deepEqual(await markers(), ['2|0|2', '4|1|2']);
  });

  it('a second attempt at a stored shard changes nothing', async () => {
    await writeContextShard(db.pool, { contextId: 'ctx-1', shardCount: 2, shard: 0 }, COLUMNS, [line('a1', 0, '11.0000'), line('a2', 0, '21.0000')]);
    assert.deepEqual(await stored(), ['a1|0|10.0000', 'a2|0|20.0000', 'a3|1|30.0000']);
    assert.deepEqual(await markers(), ['2|0|2', '4|1|2']);
  });
});
