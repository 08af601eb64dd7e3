// The refund-balance check's reads (docs/decisions.md, "Input: refunds"): over everything stored —
// refunds of earlier files, of this file, and (for a payments file) refunds that arrived before
// their payment — the refunds that take back more than is left of the payment they name. The
// refunds naming a payment are counted in the order they were stored (this file's last), so the
// row found is the first one that goes over. Only refunds in the payment's currency count. The
// wording of what is found is activities/ingest/refundBalance.ts.
import type pg from 'pg';
import { advisoryXactLocks } from '../sql';

/** The advisory lock that serialises the loads of payments and refunds files. */
export const REFUND_BALANCE_LOCK = 'ingest:refund-balance';

/** A payment whose refunds go over it, and the row of this file to blame for it. */
export interface OverRefund {
  /** `refund`: a refund of this file goes over; `payment`: this file's payment is less than stored refunds. */
  blame: 'refund' | 'payment';
  /** The line of this file to blame. */
  line: number;
  /** The first refund (in stored order) that goes over. */
  refundId: string;
  paymentId: string;
  /** That refund's amount, the payment's, the refunds before it and up to it (decimal text). */
  amount: string;
  paid: string;
  refundedBefore: string;
  refundedTotal: string;
  /** `<file name> version <n>, line <l>` of that refund. */
  storedAt: string | null;
}

/**
 * Payments that this file (`fileId`) takes or lets refunds take beyond what was paid, one row per
 * payment, in this file's line order. Serialised by REFUND_BALANCE_LOCK, so that a payments file
 * and a refunds file loading at the same time cannot both pass on what the other has not committed.
 */
export async function refundsOverBalance(client: pg.PoolClient, fileId: string): Promise<OverRefund[]> {
  // Normally held already (fileVersion.ts laterLocks): a direct load locks its table exclusively,
  // and a payments load that took this lock only now would wait on a refunds load reading payments.
  await advisoryXactLocks(client, [REFUND_BALANCE_LOCK]);
  const over = await overPaidPayments(client);
  if (over.length === 0) return [];
  return firstRefundsOver(client, fileId, over);
}

/**
 * A cheap pass first: every payment whose refunds (in its currency) sum to more than it paid.
 * Every earlier load kept the rule, so any such payment is one this file touches; usually there
 * is none, and the row-by-row pass is not needed. Its cost follows the refunds table.
 */
async function overPaidPayments(client: pg.PoolClient): Promise<string[]> {
  const over = await client.query<{ payment_id: string }>(
    `SELECT r.payment_id
       FROM (SELECT payment_id, currency, sum(amount) AS refunded FROM refunds WHERE payment_id IS NOT NULL GROUP BY payment_id, currency) r
       JOIN payments p ON p.payment_id = r.payment_id AND p.currency = r.currency
      WHERE r.refunded > p.amount`,
  );
  return over.rows.map((r) => r.payment_id);
}

async function firstRefundsOver(client: pg.PoolClient, fileId: string, paymentIds: ReadonlyArray<string>): Promise<OverRefund[]> {
  const found = await client.query<{
    blame: 'refund' | 'payment'; line: number; refund_id: string; payment_id: string; amount: string; paid: string;
    refunded_before: string; refunded_total: string; stored_at: string | null;
  }>(
    `WITH running AS (
       SELECT r.refund_id, r.payment_id, r.amount, r.file_id, r.line,
              sum(r.amount) OVER (PARTITION BY r.payment_id ORDER BY r.file_id = $1::bigint, r.file_id, r.line, r.refund_id) AS upto
         FROM refunds r JOIN payments same ON same.payment_id = r.payment_id AND same.currency = r.currency
        WHERE r.payment_id = ANY($2::text[])
     )
     SELECT * FROM (
       -- Per payment, the first refund (in stored order) that goes over, among those this file is
       -- to blame for: its own refunds, or every refund of a payment it brings.
       SELECT DISTINCT ON (x.payment_id)
              CASE WHEN x.file_id = $1::bigint THEN 'refund' ELSE 'payment' END AS blame,
              CASE WHEN x.file_id = $1::bigint THEN x.line ELSE p.line END AS line,
              x.refund_id, x.payment_id, x.amount::text, p.amount::text AS paid, (x.upto - x.amount)::text AS refunded_before,
              x.upto::text AS refunded_total, f.file_name || ' version ' || f.version || ', line ' || x.line AS stored_at
         FROM running x JOIN payments p ON p.payment_id = x.payment_id JOIN ingested_files f ON f.file_id = x.file_id
        WHERE x.upto > p.amount AND (x.file_id = $1::bigint OR p.file_id = $1::bigint)
        ORDER BY x.payment_id, x.file_id = $1::bigint, x.file_id, x.line, x.refund_id
     ) first_over
     ORDER BY line`,
    [fileId, paymentIds],
  );
  return found.rows.map((r) => ({
    blame: r.blame, line: r.line, refundId: r.refund_id, paymentId: r.payment_id, amount: r.amount, paid: r.paid,
    refundedBefore: r.refunded_before, refundedTotal: r.refunded_total, storedAt: r.stored_at,
  }));
}
