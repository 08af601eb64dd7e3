// The ledger v2 migration (db/migrations/011_ledger_v2.sql, docs/ledger.md): every row of the old
// wide tables is kept with every value, read back through the views under the old names; the
// views refuse updates and deletes, and an insert through them keeps the ledger's
// insert-if-absent semantics.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../db/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { ledgerChecksum, writeLedgerFixture } from '../helpers/ledger';

let db: TestDatabase;
const SNAPSHOT = 'as_of:2024-07-01T00:00:00.000Z';
before(async () => {
  db = await createTestDatabase('ledger_v2', { migrateUntil: '009_basis_and_month_states.sql' });
  await writeLedgerFixture(db.pool, SNAPSHOT);
});
after(async () => db.drop());

const checksum = () => ledgerChecksum(db.pool);

describe('migration 011 (ledger v2)', () => {
  it('keeps every row and value, read through the views under the old names', async () => {
    const before = await checksum();
    assert.deepEqual([before.entries, before.lines, before.amounts], ['5', '6', '100000000000018.2467']);
    // Up to the ledger migration itself: a later one (020) changes what the reader view shows.
    await migrate(db.pool, { until: '011_ledger_v2.sql' });
    assert.deepEqual(await checksum(), before);
    const kinds = await db.pool.query<{ relname: string; relkind: string }>(
      "SELECT relname, relkind::text FROM pg_class WHERE relname IN ('ledger_entries', 'ledger_lines', 'ledger_entry_rows', 'ledger_line_rows') ORDER BY relname");
    assert.deepEqual(kinds.rows.map((r) => `${r.relname}:${r.relkind}`), ['ledger_entries:v', 'ledger_entry_rows:r', 'ledger_line_rows:r', 'ledger_lines:v']);
    const amount = await db.pool.query<{ type: string }>("SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'ledger_lines'::regclass AND attname = 'amount'");
    assert.equal(amount.rows[0]!.type, 'numeric(18,4)');
    // Surrogates: 3 keys (first_touch under both bases, rules), 4 channels; entries numbered by key, then event time.
    const counts = await db.pool.query<{ keys: number; channels: number }>(
      'SELECT (SELECT count(*)::int FROM ledger_keys) AS keys, (SELECT count(*)::int FROM ledger_channels) AS channels');
    assert.deepEqual(counts.rows[0], { keys: 3, channels: 4 });
    const order = await db.pool.query<{ entry: string }>(
      `SELECT k.basis || '/' || k.book || '/' || e.kind || '/' || e.transaction_id AS entry FROM ledger_entry_rows e JOIN ledger_keys k USING (key_id) ORDER BY e.entry_id`);
    assert.deepEqual(order.rows.map((r) => r.entry), [
      `${SNAPSHOT}/first_touch/payment/p1`, `${SNAPSHOT}/first_touch/refund/p1`, `${SNAPSHOT}/first_touch/payment/p2`,
      'monthly/first_touch/payment/p1', 'monthly/rules/payment/p3']);
    const big = await db.pool.query<{ amount_units: string }>("SELECT amount_units::text FROM ledger_entry_rows WHERE rule_name = 'big deals'");
    assert.equal(big.rows[0]!.amount_units, '999999999999999999');
  });

  it('refuses updates and deletes through the views and on the raw tables', async () => {
    await assert.rejects(db.pool.query("UPDATE ledger_lines SET amount = 1 WHERE transaction_id = 'p1'"), /append-only: UPDATE on ledger_lines/);
    await assert.rejects(db.pool.query("DELETE FROM ledger_entries WHERE transaction_id = 'p2'"), /append-only: DELETE on ledger_entries/);
    await assert.rejects(db.pool.query('DELETE FROM ledger_line_rows'), /append-only/);
    await assert.rejects(db.pool.query('TRUNCATE ledger_keys'), /append-only/);
  });

  it('inserts through the views: appends a new key, does nothing for a stored one, refuses a line without its entry', async () => {
    const entry = (tx: string, amount: string) => db.pool.query(
      `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
       VALUES ('m#2', 'monthly', 'first_touch', 'payment', $1, 'a9', 'u9', 'USD', $2, '2024-02-01Z', 'attributed', 'attributed', 'r-feb')`, [tx, amount]);
    const line = (tx: string, channel: string, amount: string) => db.pool.query(
      `INSERT INTO ledger_lines (model_version, basis, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id)
       VALUES ('m#2', 'monthly', 'first_touch', 'payment', $1, $2, $3, 'USD', 'a9', '2024-02-01Z', 'r-feb')`, [tx, channel, amount]);
    assert.equal((await entry('p9', '3.3333')).rowCount, 1);
    assert.equal((await entry('p9', '4')).rowCount, 0); // stored decision stays
    assert.equal((await line('p9', 'newsletter', '3.3333')).rowCount, 1);
    assert.equal((await line('p9', 'newsletter', '1')).rowCount, 0);
    await assert.rejects(line('p-none', 'direct', '1'), /needs its entry first/);
    const back = await db.pool.query("SELECT amount::text, channel FROM ledger_lines WHERE model_version = 'm#2'");
    assert.deepEqual(back.rows, [{ amount: '3.3333', channel: 'newsletter' }]);
    const stored = await db.pool.query("SELECT amount::text FROM ledger_entries WHERE model_version = 'm#2'");
    assert.deepEqual(stored.rows, [{ amount: '3.3333' }]);
  });
});
