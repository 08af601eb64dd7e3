// SPEC §8: product teams read aggregated revenue by channel and month, not accounts or raw inputs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('reader');
  await db.pool.query(
    `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
     VALUES ('m#1', 'monthly', 'first_touch', 'payment', 'p1', 'acct-1', 'u1', 'USD', 10, '2024-03-05T00:00:00Z', 'attributed', 'attributed', 'r'),
            ('m#1', 'monthly', 'first_touch', 'payment', 'p2', 'acct-2', 'u2', 'USD', 5.5, '2024-03-31T23:59:59Z', 'attributed', 'attributed', 'r')`,
  );
  await db.pool.query(
    `INSERT INTO ledger_lines (model_version, basis, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id)
     VALUES ('m#1', 'monthly', 'first_touch', 'payment', 'p1', 'hubspot', 10, 'USD', 'acct-1', '2024-03-05T00:00:00Z', 'r'),
            ('m#1', 'monthly', 'first_touch', 'payment', 'p2', 'hubspot', 5.5, 'USD', 'acct-2', '2024-03-31T23:59:59Z', 'r')`,
  );
});
after(async () => db.drop());

async function asReader<T>(sql: string): Promise<T[]> {
  const client = await db.pool.connect();
  try {
    await client.query('SET ROLE attribution_reader');
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.query('RESET ROLE');
    client.release();
  }
}

describe('attribution_reader', () => {
  it('reads revenue by channel and month', async () => {
    const rows = await asReader<{ channel: string; month: string; revenue: string; accounts: string }>(
      'SELECT channel, month, revenue, accounts FROM revenue_by_channel_month');
    assert.deepEqual(rows, [{ channel: 'hubspot', month: '2024-03', revenue: '15.5000', accounts: '2' }]);
  });

  // The ledger's readable views (db/migrations/010_ledger_v2.sql) and the raw tables under them alike.
  for (const view of ['ledger_lines', 'ledger_entries']) {
    it(`may not read ${view}`, async () => {
      await assert.rejects(asReader(`SELECT * FROM ${view} LIMIT 1`), /permission denied for view/);
    });
  }
  for (const table of ['ledger_line_rows', 'ledger_entry_rows', 'ledger_keys', 'payments', 'calls', 'account_contexts', 'context_user_accounts']) {
    it(`may not read ${table}`, async () => {
      await assert.rejects(asReader(`SELECT * FROM ${table} LIMIT 1`), /permission denied for table/);
    });
  }
});
