// Product teams read aggregated revenue by channel and month, not accounts or raw inputs
// (docs/decisions.md, "Reader role"): no cell of fewer than 3 accounts, a statement timeout for
// every member's session, no temporary tables.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let db: TestDatabase;
const login = { user: `reader_${crypto.randomBytes(4).toString('hex')}`, password: crypto.randomBytes(12).toString('hex') };

// One month, 2024-03, where hubspot has 3 accounts, zapier 1 and slack 2; in 2024-04 pipedrive has 1.
const LINES: Array<[string, string, string, string, string]> = [
  ['p1', 'hubspot', '10', 'acct-1', '2024-03-05T00:00:00Z'],
  ['p2', 'hubspot', '5.5', 'acct-2', '2024-03-31T23:59:59Z'],
  ['p3', 'hubspot', '4', 'acct-3', '2024-03-10T00:00:00Z'],
  ['p4', 'zapier', '7', 'acct-4', '2024-03-11T00:00:00Z'],
  ['p5', 'slack', '2', 'acct-5', '2024-03-12T00:00:00Z'],
  ['p6', 'slack', '1', 'acct-6', '2024-03-13T00:00:00Z'],
  ['p7', 'pipedrive', '3', 'acct-1', '2024-04-01T00:00:00Z'],
];

before(async () => {
  db = await createTestDatabase('reader');
  for (const [id, channel, amount, account, at] of LINES) {
    // A line goes in after its entry (docs/ledger.md): one attributed payment per line here.
    await db.pool.query(
      `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
       VALUES ('m#1', 'monthly', 'first_touch', 'payment', $1, $2, $2, 'USD', $3, $4, 'attributed', 'attributed', 'r')`, [id, account, amount, at]);
    await db.pool.query(
      `INSERT INTO ledger_lines (model_version, basis, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id)
       VALUES ('m#1', 'monthly', 'first_touch', 'payment', $1, $2, $3, 'USD', $4, $5, 'r')`, [id, channel, amount, account, at]);
  }
  await db.pool.query(`CREATE ROLE ${login.user} LOGIN PASSWORD '${login.password}' IN ROLE attribution_reader`);
});
after(async () => {
  await db.drop();
  const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${login.user}`);
  await admin.end();
});

/** A session of a product team's login role (a member of attribution_reader). */
async function asReader<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(db.url);
  url.username = login.user;
  url.password = login.password;
  const client = new pg.Client({ connectionString: url.toString() });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
const readerRows = (sql: string) => asReader(async (c) => (await c.query(sql)).rows);
const VIEW = 'SELECT channel, month, revenue, accounts, lines, channels FROM revenue_by_channel_month ORDER BY month, channel';

describe('attribution_reader', () => {
  it('reads revenue by channel and month; cells of fewer than 3 accounts are folded, a folded row that is still small is withheld', async () => {
    assert.deepEqual(await readerRows(VIEW), [
      { channel: '(other channels)', month: '2024-03', revenue: '10.0000', accounts: '3', lines: '3', channels: '2' }, // zapier 7 + slack 2 + 1
      { channel: 'hubspot', month: '2024-03', revenue: '19.5000', accounts: '3', lines: '3', channels: '1' },
      // 2024-04: pipedrive's single account, folded into a row of 1 account: withheld.
    ]);
  });

  it('shows every cell when the minimum is 1 (reader_policy.min_cell_accounts)', async () => {
    await db.pool.query('UPDATE reader_policy SET min_cell_accounts = 1');
    try {
      const rows = await readerRows(VIEW) as { channel: string; month: string; revenue: string }[];
      assert.deepEqual(rows.map((r) => `${r.month} ${r.channel} ${r.revenue}`), [
        '2024-03 hubspot 19.5000', '2024-03 slack 3.0000', '2024-03 zapier 7.0000', '2024-04 pipedrive 3.0000',
      ]);
    } finally {
      await db.pool.query('UPDATE reader_policy SET min_cell_accounts = 3');
    }
  });

  it('has a statement timeout in every session, set at login from reader_policy', async () => {
    assert.equal(await asReader(async (c) => (await c.query('SHOW statement_timeout')).rows[0].statement_timeout), '30s');
    await db.pool.query('UPDATE reader_policy SET statement_timeout_ms = 300');
    try {
      await asReader(async (c) => {
        await assert.rejects(c.query('SELECT pg_sleep(2)'), (e: { code?: string }) => e.code === '57014'); // query_canceled
      });
    } finally {
      await db.pool.query('UPDATE reader_policy SET statement_timeout_ms = 30000');
    }
    // The engine's own sessions (a superuser) are not limited.
    assert.equal((await db.pool.query('SHOW statement_timeout')).rows[0].statement_timeout, '0');
  });

  it('may not create temporary tables', async () => {
    await assert.rejects(readerRows('CREATE TEMP TABLE scratch (x int)'), /permission denied to create temporary tables/);
  });

  // The ledger's readable views (db/migrations/011_ledger_v2.sql) and the raw tables under them alike.
  for (const view of ['ledger_lines', 'ledger_entries']) {
    it(`may not read ${view}`, async () => {
      await assert.rejects(readerRows(`SELECT * FROM ${view} LIMIT 1`), /permission denied for view/);
    });
  }
  for (const table of ['ledger_entry_rows', 'ledger_keys', 'ledger_runs', 'ledger_reasons', 'payments', 'calls', 'account_contexts', 'context_user_accounts', 'reader_policy', 'event_batches']) {
    it(`may not read ${table}`, async () => {
      await assert.rejects(readerRows(`SELECT * FROM ${table} LIMIT 1`), /permission denied for table/);
    });
  }
});
