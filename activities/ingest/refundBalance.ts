// A refund may not take back more than is left of the payment it names (docs/decisions.md,
// "Input: refunds"). Checked inside the loading transaction, after the file's rows are in their
// tables and before commit, over everything stored: refunds of earlier files, of this file, and
// (for a payments file) refunds that arrived before their payment. The refunds naming a payment
// are counted in the order they were stored, so the row reported is the first one that goes over.
// Only refunds in the payment's currency count against it.
import type pg from 'pg';
import { formatUnits, parseAmountUnits } from '../../domain/money';

/** The advisory lock that serialises the loads of payments and refunds files. */
export const REFUND_BALANCE_LOCK = 'ingest:refund-balance';

export interface RefundExcess {
  /** the line of this file to blame */
  line: number;
  column: string;
  value: string;
  reason: string;
}

/**
 * Refunds of this file (`file_id`) that go beyond their payment, and payments of this file that
 * stored refunds already exceed. Serialised by an advisory lock, so that a payments file and a
 * refunds file loading at the same time cannot both pass on what the other has not committed.
 */
export async function refundExcesses(client: pg.PoolClient, fileId: string, amountColumn: string): Promise<RefundExcess[]> {
  // Normally held already (fileVersion.ts laterLocks): a direct load locks its table exclusively,
  // and a payments load that took this lock only now would wait on a refunds load reading payments.
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [REFUND_BALANCE_LOCK]);
  // A cheap pass first: every payment whose refunds (in its currency) sum to more than it paid.
  // Every earlier load kept the rule, so any such payment is one this file touches; usually there
  // is none, and the row-by-row pass below is not needed. Its cost follows the refunds table.
  const over = await client.query<{ payment_id: string }>(
    `SELECT r.payment_id
       FROM (SELECT payment_id, currency, sum(amount) AS refunded FROM refunds WHERE payment_id IS NOT NULL GROUP BY payment_id, currency) r
       JOIN payments p ON p.payment_id = r.payment_id AND p.currency = r.currency
      WHERE r.refunded > p.amount`,
  );
  if (over.rows.length === 0) return [];
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
    [fileId, over.rows.map((r) => r.payment_id)],
  );
  return found.rows.map((r) => {
    const left = formatUnits(parseAmountUnits(r.paid) - parseAmountUnits(r.refunded_before));
    if (r.blame === 'refund') {
      return {
        line: r.line, column: amountColumn, value: r.amount,
        reason: `refund ${r.refund_id} is more than what is left of payment ${r.payment_id} (paid ${r.paid}, refunded before ${r.refunded_before}, left ${left}); ` +
          'a refund cannot take back more than was paid: correct the amount or the payment it names',
      };
    }
    return {
      line: r.line, column: amountColumn, value: r.paid,
      reason: `payment ${r.payment_id} (${r.paid}) is less than what refunds already stored take back from it (${r.refunded_total}, going over with refund ${r.refund_id} at ${r.stored_at}); correct the payment or those refunds`,
    };
  });
}
