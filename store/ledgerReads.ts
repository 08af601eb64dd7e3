// What runs, the bench and the cross-check read back from the ledger (docs/ledger.md, "Reads"):
// through the views ledger_entries and ledger_lines, so that the physical layout stays the
// business of store/ledger.ts. The reports' reads are in store/ledgerReports.ts; the refund
// cascade's reads of earlier entries are in store/ledger.ts, on the raw table.
import type pg from 'pg';
import type { ReconciliationRow } from './runResults';
import { inPeriod } from './predicates';

type Db = pg.Pool | pg.PoolClient;

/** The ledger of one book under one model version and basis. */
export interface BookKey {
  modelVersion: string;
  basis: string;
  book: string;
}

/** Billing of the period [from, to) against the ledger of one book, per currency (docs/decisions.md, "Ledger and runs"). */
export async function reconcileBook(db: Db, key: BookKey, from: Date | null, to: Date): Promise<ReconciliationRow[]> {
  const { book } = key;
  const result = await db.query<{ currency: string; billing_total: string; attributed_total: string; excluded_total: string; excluded_by_reason: Record<string, string>; variance: string }>(
    `WITH billing AS (
       SELECT currency, sum(amount) AS total FROM (
         SELECT currency, amount FROM payments WHERE ${inPeriod('paid_at', '$3', '$4')}
         UNION ALL
         SELECT currency, -amount FROM refunds WHERE ${inPeriod('refunded_at', '$3', '$4')}) t
       GROUP BY currency),
     by_reason AS (
       SELECT currency, status, reason, sum(amount) AS total FROM ledger_entries
        WHERE model_version = $1 AND book = $2 AND basis = $5 AND ${inPeriod('event_at', '$3', '$4')}
        GROUP BY currency, status, reason),
     ledger AS (
       SELECT currency,
              coalesce(sum(total) FILTER (WHERE status = 'attributed'), 0) AS attributed,
              coalesce(sum(total) FILTER (WHERE status = 'excluded'), 0) AS excluded,
              coalesce(jsonb_object_agg(reason, total::text) FILTER (WHERE status = 'excluded'), '{}'::jsonb) AS by_reason
         FROM by_reason GROUP BY currency)
     SELECT currency::text AS currency,
            coalesce(b.total, 0)::numeric(18,4)::text AS billing_total,
            coalesce(l.attributed, 0)::numeric(18,4)::text AS attributed_total,
            coalesce(l.excluded, 0)::numeric(18,4)::text AS excluded_total,
            coalesce(l.by_reason, '{}'::jsonb) AS excluded_by_reason,
            (coalesce(b.total, 0) - coalesce(l.attributed, 0) - coalesce(l.excluded, 0))::numeric(18,4)::text AS variance
       FROM billing b FULL JOIN ledger l USING (currency)
      ORDER BY currency`,
    [key.modelVersion, book, from, to, key.basis],
  );
  return result.rows.map((r) => ({
    book, currency: r.currency, billingTotal: r.billing_total, attributedTotal: r.attributed_total,
    excludedTotal: r.excluded_total, excludedByReason: r.excluded_by_reason, variance: r.variance,
  }));
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
