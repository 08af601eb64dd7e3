// What runs, the bench and the cross-check read back from the ledger (docs/ledger.md, "Reads"):
// through the views ledger_entries and ledger_lines, so that the physical layout stays the
// business of store/ledger.ts. The reports' reads are in store/ledgerReports.ts; the refund
// cascade's reads of earlier entries and the reconciliation's sums are in store/ledger.ts, on the raw table.
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

/** The ledger of one book under one model version and basis. */
export interface BookKey {
  modelVersion: string;
  basis: string;
  book: string;
}

/** Revenue per (book, channel, currency) of a model version and basis, every line of it (not the reader view, which folds small cells). */
export async function channelTotals(db: Db, modelVersion: string, basis: string): Promise<Array<{ book: string; channel: string; currency: string; revenue: string }>> {
  const result = await db.query<{ book: string; channel: string; currency: string; revenue: string }>(
    `SELECT book, channel, currency::text AS currency, sum(amount)::text AS revenue
       FROM ledger_lines
      WHERE model_version = $1 AND basis = $2
      GROUP BY book, channel, currency`,
    [modelVersion, basis],
  );
  return result.rows;
}

/** The lines of one book and kind that a run wrote, in (transaction, channel) order. */
export async function runBookLines(db: Db, runId: string, book: string, kind: string): Promise<Array<{ transactionId: string; channel: string; amount: string }>> {
  const result = await db.query<{ transaction_id: string; channel: string; amount: string }>(
    `SELECT transaction_id, channel, amount::text AS amount FROM ledger_lines
      WHERE run_id = $1 AND book = $2 AND kind = $3 ORDER BY transaction_id, channel`,
    [runId, book, kind],
  );
  return result.rows.map((r) => ({ transactionId: r.transaction_id, channel: r.channel, amount: r.amount }));
}

/**
 * The ledger's counts, and a checksum of one model version's content without run ids and creation
 * times (order-independent): `entries/lines/<entries hash>/<lines hash>`. Equal checksums: the
 * same decisions and lines, whatever wrote them.
 */
export async function ledgerChecksum(db: Db, modelVersion: string): Promise<{ entries: number; lines: number; checksum: string }> {
  const r = await db.query<{ entries: string; lines: string; entries_sum: string; lines_sum: string }>(
    `SELECT (SELECT count(*) FROM ledger_entries)::text AS entries, (SELECT count(*) FROM ledger_lines)::text AS lines,
            (SELECT coalesce(sum(hashtextextended(concat_ws('|', book, kind, transaction_id, account_id, user_id, currency, amount::text,
                     extract(epoch FROM event_at)::text, status, reason, rule_name), 0)::numeric), 0)::text
               FROM ledger_entries WHERE model_version = $1) AS entries_sum,
            (SELECT coalesce(sum(hashtextextended(concat_ws('|', book, kind, transaction_id, channel, amount::text, currency, account_id,
                     extract(epoch FROM event_at)::text), 0)::numeric), 0)::text
               FROM ledger_lines WHERE model_version = $1) AS lines_sum`,
    [modelVersion],
  );
  const row = r.rows[0]!;
  const hex = (sum: string) => BigInt(sum).toString(16).replace('-', 'm');
  return { entries: Number(row.entries), lines: Number(row.lines), checksum: `${row.entries}/${row.lines}/${hex(row.entries_sum)}/${hex(row.lines_sum)}` };
}
