// The basis migration (db/migrations/009_basis_and_month_states.sql, docs/operations.md): every
// stored row is kept with every value, and gets the basis of the run that wrote it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { migrate } from '../../db/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('migration', { migrateUntil: '008_user_id_statistics.sql' });
  await db.pool.query(`INSERT INTO rulesets (model_version, version, source_name, yaml, effective) VALUES ('m#1', 'm', 'm.yaml', '', '{}')`);
  // A lifetime snapshot (as of 2024-07-01) and the monthly run of March 2024, as the old code wrote them.
  await db.pool.query(
    `INSERT INTO attribution_runs (run_id, workflow_id, kind, model_version, period_from, period_to, as_of, books, context_id, shard_count) VALUES
       ('r-life', 'w-life', 'run', 'm#1', NULL, '2024-07-01Z', '2024-07-01Z', '{first_touch}', 'c1', 1),
       ('r-mar', 'w-mar', 'backfill', 'm#1', '2024-03-01Z', '2024-04-01Z', '2024-04-01Z', '{first_touch}', 'c2', 1)`);
  await db.pool.query(
    `INSERT INTO ledger_entries (model_version, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id) VALUES
       ('m#1', 'first_touch', 'payment', 'p1', 'a1', 'u1', 'USD', 10.1234, '2024-01-05Z', 'attributed', 'attributed', 'r-life'),
       ('m#1', 'first_touch', 'refund', 'p1', 'a1', 'u1', 'USD', -2, '2024-01-06Z', 'attributed', 'refund_of_payment', 'r-life'),
       ('m#1', 'first_touch', 'payment', 'p2', NULL, 'u2', 'EUR', 7, '2024-03-05Z', 'excluded', 'unmatched_user', 'r-mar')`);
  await db.pool.query(
    `INSERT INTO ledger_lines (model_version, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id) VALUES
       ('m#1', 'first_touch', 'payment', 'p1', 'hubspot', 6.1234, 'USD', 'a1', '2024-01-05Z', 'r-life'),
       ('m#1', 'first_touch', 'payment', 'p1', 'zapier', 4, 'USD', 'a1', '2024-01-05Z', 'r-life'),
       ('m#1', 'first_touch', 'refund', 'p1', 'hubspot', -2, 'USD', 'a1', '2024-01-06Z', 'r-life')`);
});
after(async () => db.drop());

/** Counts and an md5 of every value but the basis, in key order. */
async function checksum(): Promise<Record<string, string>> {
  const result = await db.pool.query<{ entries: string; lines: string; entries_md5: string; lines_md5: string; amounts: string }>(
    `SELECT (SELECT count(*) FROM ledger_entries)::text AS entries, (SELECT count(*) FROM ledger_lines)::text AS lines,
            (SELECT md5(string_agg(concat_ws('|', model_version, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, rule_name, run_id), ',' ORDER BY model_version, book, kind, transaction_id)) FROM ledger_entries) AS entries_md5,
            (SELECT md5(string_agg(concat_ws('|', model_version, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id), ',' ORDER BY model_version, book, kind, transaction_id, channel)) FROM ledger_lines) AS lines_md5,
            (SELECT sum(amount)::text FROM ledger_lines) AS amounts`);
  return { ...result.rows[0]! };
}

describe('migration 009 (basis in the ledger keys)', () => {
  it('keeps every row and value, and gives each row the basis of the run that wrote it', async () => {
    const before = await checksum();
    assert.deepEqual([before.entries, before.lines, before.amounts], ['3', '3', '8.1234']);
    await migrate(db.pool);
    assert.deepEqual(await checksum(), before);
    const bases = await db.pool.query<{ run_id: string; basis: string }>('SELECT DISTINCT run_id, basis FROM ledger_entries ORDER BY run_id');
    assert.deepEqual(bases.rows, [{ run_id: 'r-life', basis: 'as_of:2024-07-01T00:00:00.000Z' }, { run_id: 'r-mar', basis: 'monthly' }]);
    const lineBases = await db.pool.query<{ basis: string }>('SELECT DISTINCT basis FROM ledger_lines');
    assert.deepEqual(lineBases.rows, [{ basis: 'as_of:2024-07-01T00:00:00.000Z' }]);
    const runs = await db.pool.query<{ run_id: string; basis: string; data_version: string | null }>('SELECT run_id, basis, data_version FROM attribution_runs ORDER BY run_id');
    assert.deepEqual(runs.rows, [
      { run_id: 'r-life', basis: 'as_of:2024-07-01T00:00:00.000Z', data_version: null },
      { run_id: 'r-mar', basis: 'monthly', data_version: null },
    ]);
  });

  it('leaves the ledger append-only, with the basis in both keys', async () => {
    await assert.rejects(db.pool.query("UPDATE ledger_lines SET amount = 1 WHERE transaction_id = 'p1'"), /append-only/);
    await assert.rejects(db.pool.query("DELETE FROM ledger_entries WHERE transaction_id = 'p2'"), /append-only/);
    // The same transaction under the other basis is a new row, not a conflict. (An insert into the
    // ledger_entries view does nothing for a key that exists: db/migrations/011_ledger_v2.sql.)
    const insert = () => db.pool.query(
      `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
       VALUES ('m#1', 'monthly', 'first_touch', 'payment', 'p1', 'a1', 'u1', 'USD', 10.1234, '2024-01-05Z', 'attributed', 'attributed', 'r-jan')`);
    assert.equal((await insert()).rowCount, 1);
    assert.equal((await insert()).rowCount, 0);
  });
});
