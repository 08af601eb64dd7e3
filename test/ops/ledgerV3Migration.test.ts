// The ledger v3 migration (db/migrations/022_ledger_inline_lines.sql, docs/ledger.md): every entry
// and line of v2 is kept with every value, read back through the same views; the lines now live
// in their entry's row, in channel id order; the views still refuse updates and deletes, and an
// insert through them keeps the insert-if-absent semantics, lines included.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../db/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { ledgerChecksum, writeLedgerFixture } from '../helpers/ledger';

let db: TestDatabase;
const SNAPSHOT = 'as_of:2024-07-01T00:00:00.000Z';
before(async () => {
  db = await createTestDatabase('ledger_v3', { migrateUntil: '021_event_batch_retention.sql' });
  await writeLedgerFixture(db.pool, SNAPSHOT);
});
after(async () => db.drop());

describe('migration 022 (ledger v3: lines in the entry row)', () => {
  it('keeps every row and value, read through the same views', async () => {
    const before = await ledgerChecksum(db.pool);
    assert.deepEqual([before.entries, before.lines, before.amounts], ['5', '6', '100000000000018.2467']);
    await migrate(db.pool, { until: '022_ledger_inline_lines.sql' });
    assert.deepEqual(await ledgerChecksum(db.pool), before);
    const tables = await db.pool.query<{ name: string }>(
      "SELECT relname || ':' || relkind::text AS name FROM pg_class WHERE relname LIKE 'ledger\\_%' AND relkind IN ('r', 'v') ORDER BY relname");
    assert.deepEqual(tables.rows.map((r) => r.name), [
      'ledger_channels:r', 'ledger_drift:r', 'ledger_entries:v', 'ledger_entry_rows:r', 'ledger_keys:r', 'ledger_lines:v', 'ledger_reasons:r', 'ledger_runs:r']);
    // Channel ids in the order the fixture first wrote them: hubspot 1, zapier 2, direct 3, partner 4.
    const raw = await db.pool.query<{ entry: string }>(
      `SELECT e.kind || '/' || e.transaction_id || '/' || e.status::text || '/' || r.reason || '/' || ru.run_id || '/' ||
              coalesce(e.line_channels::text, '-') || '/' || coalesce(e.line_units::text, '-') AS entry
         FROM ledger_entry_rows e JOIN ledger_reasons r USING (reason_id) JOIN ledger_runs ru USING (run_no) ORDER BY e.entry_id`);
    assert.deepEqual(raw.rows.map((r) => r.entry), [
      'payment/p1/a/attributed/r-life/{1,2}/{61234,40000}',
      'refund/p1/a/refund_of_payment/r-life/{1}/{-20000}',
      'payment/p2/e/unmatched_user/r-life/-/-',
      'payment/p1/a/attributed/r-jan/{3}/{101234}',
      'payment/p3/a/attributed/r-jan/{3,4}/{1,999999999999999998}',
    ]);
  });

  it('refuses updates and deletes through the views and on the raw tables', async () => {
    await assert.rejects(db.pool.query("UPDATE ledger_lines SET amount = 1 WHERE transaction_id = 'p1'"), /append-only: UPDATE on ledger_lines/);
    await assert.rejects(db.pool.query("DELETE FROM ledger_entries WHERE transaction_id = 'p2'"), /append-only: DELETE on ledger_entries/);
    await assert.rejects(db.pool.query("UPDATE ledger_entry_rows SET line_units = '{1,1}' WHERE transaction_id = 'p1' AND kind = 'payment'"), /append-only: UPDATE on ledger_entry_rows/);
    await assert.rejects(db.pool.query("UPDATE ledger_entry_rows SET line_channels = NULL, line_units = NULL"), /append-only/);
    await assert.rejects(db.pool.query('DELETE FROM ledger_runs'), /append-only/);
    await assert.rejects(db.pool.query('TRUNCATE ledger_reasons'), /append-only/);
  });

  it('inserts through the views: a new key appends, a stored one stays, lines join their entry in channel id order', async () => {
    const entry = (tx: string, amount: string, status = 'attributed') => db.pool.query(
      `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
       VALUES ('m#2', 'monthly', 'first_touch', 'payment', $1, 'a9', 'u9', 'USD', $2, '2024-02-01Z', $3, 'attributed', 'r-feb')`, [tx, amount, status]);
    const line = (tx: string, channel: string, amount: string, runId = 'r-feb') => db.pool.query(
      `INSERT INTO ledger_lines (model_version, basis, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id)
       VALUES ('m#2', 'monthly', 'first_touch', 'payment', $1, $2, $3, 'USD', 'a9', '2024-02-01Z', $4)`, [tx, channel, amount, runId]);
    assert.equal((await entry('p9', '4.3333')).rowCount, 1);
    assert.equal((await entry('p9', '4')).rowCount, 0); // the stored decision stays
    assert.equal((await line('p9', 'zapier', '3.3333')).rowCount, 1);
    assert.equal((await line('p9', 'direct', '1')).rowCount, 1); // direct (id 3) goes after zapier (id 2)
    assert.equal((await line('p9', 'zapier', '2')).rowCount, 0); // a stored line stays
    await assert.rejects(line('p-none', 'direct', '1'), /needs its entry first/);
    await assert.rejects(line('p9', 'hubspot', '1', 'r-other'), /its entry's currency, account, event time and run/);
    await assert.rejects(entry('p10', '1', 'pending'), /status is attributed or excluded/);
    const back = await db.pool.query("SELECT channel, amount::text FROM ledger_lines WHERE model_version = 'm#2' ORDER BY channel");
    assert.deepEqual(back.rows, [{ channel: 'direct', amount: '1.0000' }, { channel: 'zapier', amount: '3.3333' }]);
    const raw = await db.pool.query<{ channels: string; units: string }>(
      "SELECT line_channels::text AS channels, line_units::text AS units FROM ledger_entry_rows WHERE transaction_id = 'p9'");
    assert.deepEqual(raw.rows, [{ channels: '{2,3}', units: '{33333,10000}' }]);
  });
});
