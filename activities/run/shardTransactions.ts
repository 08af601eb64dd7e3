// What a shard pass reads besides the contexts: the shard's payments and refunds of the run's
// period per account, and, for the accounts with refunds, what earlier runs attributed under each
// book (docs/decisions.md, "Decisions"). Read once per shard, whatever the number of books.
import type pg from 'pg';
import type { AllocationLine } from '../../domain/allocation';
import type { AttributedPayment } from '../../domain/decisions';
import { parseAmountUnits } from '../../domain/money';
import { REASONS } from '../../domain/reasons';
import { csvTransaction, type TransactionFacts } from '../../domain/transaction';
import { readEventFacts, readShardBilling } from '../../store/inputs/runReads';
import { attributedPaymentLines, reversedBefore } from '../../store/ledger';
import type { RunRecord } from '../../store/runs';

export interface AccountTransactions {
  payments: TransactionFacts[];
  refunds: TransactionFacts[];
  /** `kind:id` → the user who paid or was refunded */
  userOf: Map<string, string>;
}

/** Per book, per account, per payment id: what an earlier run attributed. */
export type PriorPayments = Map<string, Map<string, Map<string, AttributedPayment>>>;

/** The shard's payments and refunds of the run's period, per account, with what events add to them. */
export async function readShardTransactions(pool: pg.Pool, run: RunRecord, shard: number): Promise<Map<string, AccountTransactions>> {
  const [{ payments, refunds }, events] = await Promise.all([readShardBilling(pool, run, shard), readEventFacts(pool, run, shard)]);
  const withEvent = (tx: TransactionFacts): TransactionFacts => {
    const event = events.get(tx.transactionId);
    return event === undefined ? tx : { ...tx, ...event };
  };
  const byAccount = new Map<string, AccountTransactions>();
  const of = (accountId: string) => {
    let t = byAccount.get(accountId);
    if (!t) byAccount.set(accountId, (t = { payments: [], refunds: [], userOf: new Map() }));
    return t;
  };
  for (const r of payments) {
    const t = of(r.account_id);
    t.payments.push(withEvent(csvTransaction({ id: r.payment_id, kind: 'payment', amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.paid_at.getTime() })));
    t.userOf.set(`payment:${r.payment_id}`, r.user_id);
  }
  for (const r of refunds) {
    const t = of(r.account_id);
    t.refunds.push(withEvent(csvTransaction({ id: r.refund_id, kind: 'refund', amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.refunded_at.getTime(), refundOf: r.payment_id })));
    t.userOf.set(`refund:${r.refund_id}`, r.user_id);
  }
  return byAccount;
}

type PriorPayment = AttributedPayment & { lines: AllocationLine[]; reversed: AllocationLine[] };

/**
 * Payments already attributed under the run's model version and each book, with their lines and
 * rule, for the accounts that have refunds to decide (only refunds look at earlier runs), and what
 * refunds before this period already reversed of each (refunds of the period are decided again, in
 * order). One query for every book.
 */
export async function readPriorAttributedPayments(pool: pg.Pool, run: RunRecord, books: ReadonlyArray<string>, accountIds: ReadonlyArray<string>): Promise<PriorPayments> {
  const byBook: PriorPayments = new Map(books.map((b) => [b, new Map()]));
  if (accountIds.length === 0) return byBook;
  const key = { modelVersion: run.modelVersion, basis: run.basis, books };
  const [lines, reversals] = await Promise.all([
    attributedPaymentLines(pool, key, accountIds),
    run.periodFrom === null ? Promise.resolve([]) : reversedBefore(pool, key, accountIds, new Date(run.periodFrom), REASONS.refundOfPayment),
  ]);
  const payments = new Map<string, PriorPayment>(); // `book:payment id` →
  for (const r of lines) {
    const accounts = byBook.get(r.book)!;
    let account = accounts.get(r.accountId);
    if (!account) accounts.set(r.accountId, (account = new Map()));
    let payment = payments.get(`${r.book}:${r.transactionId}`);
    if (!payment) {
      payment = { currency: r.currency, ruleName: r.ruleName, lines: [], reversed: [] };
      payments.set(`${r.book}:${r.transactionId}`, payment);
      account.set(r.transactionId, payment);
    }
    payment.lines.push({ channel: r.channel, amountUnits: r.units });
  }
  for (const r of reversals) payments.get(`${r.book}:${r.paymentId}`)?.reversed.push({ channel: r.channel, amountUnits: r.units });
  return byBook;
}
