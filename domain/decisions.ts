import { Decimal } from 'decimal.js';
import { allocateExact, type AllocationLine, type ChannelWeight } from './allocation';
import type { Weighing } from './books';
import type { AccountContext } from './context';
import { InvalidInputError, InvariantError } from './errors';
import { compareStrings } from './order';
import { REASONS, type Reason } from './reasons';
import type { TransactionFacts } from './transaction';

// One decision per transaction, for one account and one book (docs/decisions.md, "Decisions"). Payments are decided
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
// - A payment refunded in several parts: each refund is split by what is left of the payment's
//   lines after the earlier reversals (clamped at zero per channel), so that refunding the whole
//   amount in parts ends at exactly zero on every channel. When nothing is left (an over-refund),
//   the payment's own lines are the weights.
// - A reversal keeps the rule of the payment it reverses (`rules` book); a refund split by weights
//   of its own is weighed like a payment, and excluded with `no_rule_matched` when no rule matches.

export { REASONS, type Reason } from './reasons';

export interface AttributedPayment {
  currency: string;
  /** The rule that attributed it (`rules` book), kept by the refunds that reverse it. */
  ruleName: string | null;
  lines: ReadonlyArray<AllocationLine>;
  /** The lines of refunds already recorded against it (negative), summed per channel or not. */
  reversed: ReadonlyArray<AllocationLine>;
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
  /** The rule that chose the book (`rules` book only). */
  ruleName: string | null;
  /** Empty when excluded; otherwise sums exactly to amountUnits. */
  lines: AllocationLine[];
}

export interface DecideAccountBookArgs {
  ctx: AccountContext;
  book: string;
  /** How the book weighs one of the account's transactions in this run. */
  weigh: (tx: TransactionFacts) => Weighing;
  /** The account's transactions of the run's period. */
  payments: ReadonlyArray<TransactionFacts>;
  refunds: ReadonlyArray<TransactionFacts>;
  /** This account's payments attributed by earlier runs under this model version and book. */
  priorAttributedPayments: ReadonlyMap<string, AttributedPayment>;
  /** Currencies in which this account has an attributed payment from earlier runs (same model version and book). */
  priorAttributedCurrencies: ReadonlySet<string>;
}

export function decideAccountBook(args: DecideAccountBookArgs): Decision[] {
  const { ctx, book, weigh } = args;
  // Built only for an error message: a shard pass decides millions of transactions.
  const where = () => `account ${ctx.accountId}, book ${book}`;
  const attributedNow = new Map<string, AttributedPayment>();
  /** Per payment named by a refund: its lines and what the refunds decided so far reversed. */
  const reversals = new Map<string, TrackedPayment>();
  const decisions: Decision[] = [];

  for (const payment of byTimeThenId(args.payments)) {
    if (payment.amountUnits <= 0n) {
      throw new InvalidInputError(`${where()}: payment ${payment.transactionId} has a non-positive amount ${payment.amountUnits}`);
    }
    const decided = { transactionId: payment.transactionId, kind: 'payment', currency: payment.currency, at: payment.at, amountUnits: payment.amountUnits } as const;
    if ((ctx.netUnitsByCurrency.get(payment.currency) ?? 0n) <= 0n) {
      decisions.push(excluded(decided, REASONS.nonPositiveNetRevenue));
      continue;
    }
    const weighing = weigh(payment);
    if (weighing.kind === 'no_rule_matched') {
      decisions.push(excluded(decided, REASONS.noRuleMatched));
      continue;
    }
    const lines = allocateExact(payment.amountUnits, weighing.weights);
    attributedNow.set(payment.transactionId, { currency: payment.currency, ruleName: weighing.ruleName, lines, reversed: [] });
    decisions.push(attributed(decided, REASONS.attributed, weighing.ruleName, lines, where));
  }

  const attributedCurrencies = new Set(args.priorAttributedCurrencies);
  for (const p of attributedNow.values()) attributedCurrencies.add(p.currency);

  for (const refund of byTimeThenId(args.refunds)) {
    if (refund.amountUnits <= 0n) {
      throw new InvalidInputError(`${where()}: refund ${refund.transactionId} has a non-positive amount ${refund.amountUnits}`);
    }
    const decided = { transactionId: refund.transactionId, kind: 'refund', currency: refund.currency, at: refund.at, amountUnits: -refund.amountUnits } as const;
    const named = namedPayment(refund.refundOf, args.priorAttributedPayments, attributedNow, reversals);

    if (named !== undefined && named.currency === refund.currency) {
      const lines = allocateExact(decided.amountUnits, remainingAsWeights(named));
      named.reversed.push(...lines);
      decisions.push(attributed(decided, REASONS.refundOfPayment, named.ruleName, lines, where));
    } else if (attributedCurrencies.has(refund.currency)) {
      const weighing = weigh(refund);
      if (weighing.kind === 'no_rule_matched') {
        decisions.push(excluded(decided, REASONS.noRuleMatched));
        continue;
      }
      const lines = allocateExact(decided.amountUnits, weighing.weights);
      decisions.push(attributed(decided, REASONS.refundByAccountWeights, weighing.ruleName, lines, where));
    } else {
      const net = ctx.netUnitsByCurrency.get(refund.currency) ?? 0n;
      decisions.push(excluded(decided, net > 0n ? REASONS.noAttributedPayment : REASONS.nonPositiveNetRevenue));
    }
  }
  return decisions;
}

type Decided = Pick<Decision, 'transactionId' | 'kind' | 'currency' | 'at' | 'amountUnits'>;

function excluded(decided: Decided, reason: Reason): Decision {
  return decisionOf(decided, 'excluded', reason, null, []);
}

/**
 * Every decision is built by this one literal, so that all of them share one object shape: a shard
 * pass handles millions, and code that reads decisions of mixed shapes runs several times slower.
 */
function decisionOf(decided: Decided, status: Decision['status'], reason: Reason, ruleName: string | null, lines: AllocationLine[]): Decision {
  return { transactionId: decided.transactionId, kind: decided.kind, currency: decided.currency, amountUnits: decided.amountUnits, at: decided.at, status, reason, ruleName, lines };
}

interface TrackedPayment {
  currency: string;
  ruleName: string | null;
  lines: ReadonlyArray<AllocationLine>;
  reversed: AllocationLine[];
}

/**
 * The attributed payment a refund names, as a record of what has been reversed so far: this run's
 * reversals are added to the stored ones as refunds are decided. A payment stored by an earlier run
 * wins over the same payment recomputed now: the ledger holds the stored lines.
 */
function namedPayment(
  paymentId: string | null,
  prior: ReadonlyMap<string, AttributedPayment>,
  now: ReadonlyMap<string, AttributedPayment>,
  reversals: Map<string, TrackedPayment>,
): TrackedPayment | undefined {
  if (paymentId === null) return undefined;
  let tracked = reversals.get(paymentId);
  if (tracked === undefined) {
    const payment = prior.get(paymentId) ?? now.get(paymentId);
    if (payment === undefined) return undefined;
    tracked = { currency: payment.currency, ruleName: payment.ruleName, lines: payment.lines, reversed: [...payment.reversed] };
    reversals.set(paymentId, tracked);
  }
  return tracked;
}

/** What is left of a payment's lines after its earlier reversals, as weights (payment lines are positive). */
function remainingAsWeights(payment: { lines: ReadonlyArray<AllocationLine>; reversed: ReadonlyArray<AllocationLine> }): ChannelWeight[] {
  const remaining = new Map<string, bigint>();
  for (const l of payment.lines) remaining.set(l.channel, (remaining.get(l.channel) ?? 0n) + abs(l.amountUnits));
  for (const l of payment.reversed) if (remaining.has(l.channel)) remaining.set(l.channel, remaining.get(l.channel)! - abs(l.amountUnits));
  const left = [...remaining].filter(([, units]) => units > 0n);
  const basis = left.length > 0 ? left : payment.lines.map((l) => [l.channel, abs(l.amountUnits)] as const);
  return basis.map(([channel, units]) => ({ channel, weight: new Decimal(units.toString()) }));
}

const abs = (units: bigint) => (units < 0n ? -units : units);

function byTimeThenId(rows: ReadonlyArray<TransactionFacts>): TransactionFacts[] {
  return [...rows].sort((a, b) => a.at - b.at || compareStrings(a.transactionId, b.transactionId));
}

/** The ledger must reconcile to billing: an attributed decision's lines sum exactly to its amount. */
function attributed(decided: Decided, reason: Reason, ruleName: string | null, lines: AllocationLine[], where: () => string): Decision {
  let sum = 0n;
  for (const l of lines) sum += l.amountUnits;
  if (sum !== decided.amountUnits) {
    throw new InvariantError(`${where()}, ${decided.kind} ${decided.transactionId}: lines sum to ${sum}, amount is ${decided.amountUnits}`);
  }
  return decisionOf(decided, 'attributed', reason, ruleName, lines);
}
