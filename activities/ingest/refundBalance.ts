// A refund may not take back more than is left of the payment it names (docs/decisions.md,
// "Input: refunds"). Checked inside the loading transaction, after the file's rows are in their
// tables and before commit (store/inputs/refundBalance.ts finds the rows); this module words them
// as rejected rows of the file being loaded.
import type pg from 'pg';
import { formatUnits, parseAmountUnits } from '../../domain/money';
import { refundsOverBalance } from '../../store/inputs/refundBalance';

export interface RefundExcess {
  /** the line of this file to blame */
  line: number;
  column: string;
  value: string;
  reason: string;
}

/** Refunds of this file (`file_id`) that go beyond their payment, and payments of this file that stored refunds already exceed. */
export async function refundExcesses(client: pg.PoolClient, fileId: string, amountColumn: string): Promise<RefundExcess[]> {
  return (await refundsOverBalance(client, fileId)).map((r) => {
    const left = formatUnits(parseAmountUnits(r.paid) - parseAmountUnits(r.refundedBefore));
    if (r.blame === 'refund') {
      return {
        line: r.line, column: amountColumn, value: r.amount,
        reason: `refund ${r.refundId} is more than what is left of payment ${r.paymentId} (paid ${r.paid}, refunded before ${r.refundedBefore}, left ${left}); ` +
          'a refund cannot take back more than was paid: correct the amount or the payment it names',
      };
    }
    return {
      line: r.line, column: amountColumn, value: r.paid,
      reason: `payment ${r.paymentId} (${r.paid}) is less than what refunds already stored take back from it (${r.refundedTotal}, going over with refund ${r.refundId} at ${r.storedAt}); correct the payment or those refunds`,
    };
  });
}
