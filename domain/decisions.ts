import { Decimal } from 'decimal.js';
import { allocateExact, type AllocationLine, type ChannelWeight } from './allocation';
import type { AccountContext, PaymentRow, RefundRow } from './context';
import { InvalidInputError, InvariantError } from './errors';
import { compareStrings } from './order';
import { REASONS, type Reason } from './reasons';

// One decision per transaction, for one account and one book (SPEC §7). Payments are decided
// first, so that a refund in the same run can reverse a payment attributed in that run.
//
// Decisions taken where the spec is silent:
// - A refund whose payment_id names a payment of another currency, an excluded payment or an
//   unknown one falls through to the next rule (the account's weights), as if it named none.
// - When a payment was attributed both earlier (ledger) and in this call (a re-run), a refund
//   reverses the stored lines: those are what the ledger holds.
// - A refund with nothing to reverse is excluded with `non_positive_net_revenue` when the account's
//   net revenue in that currency is <= 0 (this includes an account with no payment at all: its net
//   is minus the refunds), else with `no_attributed_payment`.
// - Transactions are decided in (at, id) order, payments before refunds, and returned in that order.

export { REASONS, type Reason } from './reasons';

export interface AttributedPayment {
  currency: string;
  lines: ReadonlyArray<AllocationLine>;
}

export interface Decision {
  transactionId: string;
  kind: 'payment' | 'refund';
  currency: string;
  /** Signed: refunds are negative. */
  amountUnits: bigint;
  at: number;
  status: 'attributed' | 'excluded';
  reason: Reason;
  /** Empty when excluded; otherwise sums exactly to amountUnits. */
  lines: AllocationLine[];
}

export interface DecideAccountBookArgs {
  ctx: AccountContext;
  book: string;
  /** The account's weights under this book in this run. */
  weights: ReadonlyArray<ChannelWeight>;
  /** The account's transactions of the run's period. */
  payments: ReadonlyArray<PaymentRow>;
  refunds: ReadonlyArray<RefundRow>;
  /** This account's payments attributed by earlier runs under this model version and book. */
  priorAttributedPayments: ReadonlyMap<string, AttributedPayment>;
  /** Currencies in which this account has an attributed payment from earlier runs (same model version and book). */
  priorAttributedCurrencies: ReadonlySet<string>;
}

export function decideAccountBook(args: DecideAccountBookArgs): Decision[] {
  const { ctx, book, weights } = args;
  const where = `account ${ctx.accountId}, book ${book}`;
  const attributedNow = new Map<string, AttributedPayment>();
  const decisions: Decision[] = [];

  for (const payment of byTimeThenId(args.payments)) {
    if (payment.amountUnits <= 0n) {
      throw new InvalidInputError(`${where}: payment ${payment.id} has a non-positive amount ${payment.amountUnits}`);
    }
    const decided = { transactionId: payment.id, kind: 'payment', currency: payment.currency, at: payment.at } as const;
    const amountUnits = payment.amountUnits;
    if ((ctx.netUnitsByCurrency.get(payment.currency) ?? 0n) > 0n) {
      const lines = allocateExact(amountUnits, weights);
      attributedNow.set(payment.id, { currency: payment.currency, lines });
      decisions.push(attributed({ ...decided, amountUnits, reason: REASONS.attributed, lines }, where));
    } else {
      decisions.push({ ...decided, amountUnits, status: 'excluded', reason: REASONS.nonPositiveNetRevenue, lines: [] });
    }
  }

  const attributedCurrencies = new Set(args.priorAttributedCurrencies);
  for (const p of attributedNow.values()) attributedCurrencies.add(p.currency);

  for (const refund of byTimeThenId(args.refunds)) {
    if (refund.amountUnits <= 0n) {
      throw new InvalidInputError(`${where}: refund ${refund.id} has a non-positive amount ${refund.amountUnits}`);
    }
    const decided = { transactionId: refund.id, kind: 'refund', currency: refund.currency, at: refund.at } as const;
    const amountUnits = -refund.amountUnits;
    const named =
      refund.paymentId === null
        ? undefined
        : (args.priorAttributedPayments.get(refund.paymentId) ?? attributedNow.get(refund.paymentId));

    if (named !== undefined && named.currency === refund.currency) {
      const lines = allocateExact(amountUnits, linesAsWeights(named.lines));
      decisions.push(attributed({ ...decided, amountUnits, reason: REASONS.refundOfPayment, lines }, where));
    } else if (attributedCurrencies.has(refund.currency)) {
      const lines = allocateExact(amountUnits, weights);
      decisions.push(attributed({ ...decided, amountUnits, reason: REASONS.refundByAccountWeights, lines }, where));
    } else {
      const net = ctx.netUnitsByCurrency.get(refund.currency) ?? 0n;
      const reason = net > 0n ? REASONS.noAttributedPayment : REASONS.nonPositiveNetRevenue;
      decisions.push({ ...decided, amountUnits, status: 'excluded', reason, lines: [] });
    }
  }
  return decisions;
}

function byTimeThenId<T extends { at: number; id: string }>(rows: ReadonlyArray<T>): T[] {
  return [...rows].sort((a, b) => a.at - b.at || compareStrings(a.id, b.id));
}

/** A payment's lines, as weights for the refund that reverses it (payment lines are positive). */
function linesAsWeights(lines: ReadonlyArray<AllocationLine>): ChannelWeight[] {
  return lines.map((l) => {
    const magnitude = l.amountUnits < 0n ? -l.amountUnits : l.amountUnits;
    return { channel: l.channel, weight: new Decimal(magnitude.toString()) };
  });
}

/** The ledger must reconcile to billing: an attributed decision's lines sum exactly to its amount. */
function attributed(decision: Omit<Decision, 'status'>, where: string): Decision {
  const sum = decision.lines.reduce((acc, l) => acc + l.amountUnits, 0n);
  if (sum !== decision.amountUnits) {
    throw new InvariantError(
      `${where}, ${decision.kind} ${decision.transactionId}: lines sum to ${sum}, amount is ${decision.amountUnits}`,
    );
  }
  return { ...decision, status: 'attributed' };
}
