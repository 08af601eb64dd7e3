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
