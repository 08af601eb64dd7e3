// Views of the ledger for comparisons: everything but the ids of the runs that wrote it.
import type pg from 'pg';

export async function ledgerSnapshot(pool: pg.Pool): Promise<{ entries: string[]; lines: string[] }> {
  const entries = await pool.query<{ row: string }>(
    `SELECT concat_ws('|', model_version, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason) AS row
       FROM ledger_entries ORDER BY 1`,
  );
  const lines = await pool.query<{ row: string }>(
    `SELECT concat_ws('|', model_version, book, kind, transaction_id, channel, amount, currency, account_id, event_at) AS row
       FROM ledger_lines ORDER BY 1`,
  );
  return { entries: entries.rows.map((r) => r.row), lines: lines.rows.map((r) => r.row) };
}

export async function ledgerTotals(pool: pg.Pool): Promise<{ entries: number; lines: number; sum: string }> {
  const r = await pool.query<{ entries: number; lines: number; sum: string }>(
    `SELECT (SELECT count(*)::int FROM ledger_entries) AS entries, (SELECT count(*)::int FROM ledger_lines) AS lines,
            (SELECT coalesce(sum(amount), 0)::text FROM ledger_lines) AS sum`,
  );
  return r.rows[0]!;
}

/**
 * A small ledger written through the views: two bases, two books, a refund reusing a payment
 * id, an excluded entry without account, the largest NUMERIC(18,4) amount and a rule name
 * (5 entries, 6 lines). The migration tests write it before a layout change and compare after.
 */
export async function writeLedgerFixture(pool: pg.Pool, snapshot: string): Promise<void> {
  await pool.query(
    `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, rule_name, run_id) VALUES
       ('m#1', $1, 'first_touch', 'payment', 'p1', 'a1', 'u1', 'USD', 10.1234, '2024-01-05Z', 'attributed', 'attributed', NULL, 'r-life'),
       ('m#1', $1, 'first_touch', 'refund', 'p1', 'a1', 'u1', 'USD', -2, '2024-01-06Z', 'attributed', 'refund_of_payment', NULL, 'r-life'),
       ('m#1', $1, 'first_touch', 'payment', 'p2', NULL, 'u2', 'EUR', 7, '2024-03-05Z', 'excluded', 'unmatched_user', NULL, 'r-life'),
       ('m#1', 'monthly', 'first_touch', 'payment', 'p1', 'a1', 'u1', 'USD', 10.1234, '2024-01-05Z', 'attributed', 'attributed', NULL, 'r-jan'),
       ('m#1', 'monthly', 'rules', 'payment', 'p3', 'a3', 'u3', 'USD', 99999999999999.9999, '2024-01-07Z', 'attributed', 'attributed', 'big deals', 'r-jan')`,
    [snapshot]);
  await pool.query(
    `INSERT INTO ledger_lines (model_version, basis, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id) VALUES
       ('m#1', $1, 'first_touch', 'payment', 'p1', 'hubspot', 6.1234, 'USD', 'a1', '2024-01-05Z', 'r-life'),
       ('m#1', $1, 'first_touch', 'payment', 'p1', 'zapier', 4, 'USD', 'a1', '2024-01-05Z', 'r-life'),
       ('m#1', $1, 'first_touch', 'refund', 'p1', 'hubspot', -2, 'USD', 'a1', '2024-01-06Z', 'r-life'),
       ('m#1', 'monthly', 'first_touch', 'payment', 'p1', 'direct', 10.1234, 'USD', 'a1', '2024-01-05Z', 'r-jan'),
       ('m#1', 'monthly', 'rules', 'payment', 'p3', 'partner', 99999999999999.9998, 'USD', 'a3', '2024-01-07Z', 'r-jan'),
       ('m#1', 'monthly', 'rules', 'payment', 'p3', 'direct', 0.0001, 'USD', 'a3', '2024-01-07Z', 'r-jan')`,
    [snapshot]);
}

/** Counts, an md5 of every value in key order, the sum of the amounts, and the reader view. */
export async function ledgerChecksum(pool: pg.Pool): Promise<Record<string, string>> {
  const result = await pool.query<Record<string, string>>(
    `SELECT (SELECT count(*) FROM ledger_entries)::text AS entries, (SELECT count(*) FROM ledger_lines)::text AS lines,
            (SELECT md5(string_agg(concat_ws('|', model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, rule_name, run_id, created_at),
                    ',' ORDER BY model_version, basis, book, kind, transaction_id)) FROM ledger_entries) AS entries_md5,
            (SELECT md5(string_agg(concat_ws('|', model_version, basis, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id),
                    ',' ORDER BY model_version, basis, book, kind, transaction_id, channel)) FROM ledger_lines) AS lines_md5,
            (SELECT sum(amount)::text FROM ledger_lines) AS amounts,
            (SELECT string_agg(concat_ws('|', model_version, basis, book, channel, currency, month, revenue, accounts, lines), ',' ORDER BY 1) FROM revenue_by_channel_month) AS reader_view`);
  return { ...result.rows[0]! };
}
