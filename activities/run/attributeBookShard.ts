// attributeBookShard: one book over the accounts of one shard (docs/decisions.md, "Books and allocation" and "Decisions"). Reads the stored
// contexts and the shard's transactions of the period, decides each transaction, and writes the
// ledger and the shard's result in one transaction. Idempotent: a shard with a result is done.
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';
import { isBookName, weighTransaction } from '../../domain/books';
import type { AllocationLine } from '../../domain/allocation';
import { decideAccountBook, type AttributedPayment } from '../../domain/decisions';
import { parseAmountUnits } from '../../domain/money';
import { REASONS } from '../../domain/reasons';
import { csvTransaction, type TransactionFacts } from '../../domain/transaction';
import { pacer } from '../heartbeat';
import { contextFromRow, type AccountContextRow } from './contextRows';
import { attributedPaymentLines, reversedBefore } from '../../store/ledgerReads';
import { writeDecisions, type LedgerDecision } from '../../store/ledger';
import { readLearnedModels } from '../../store/learnedModelReads';
import { readShardContexts } from '../../store/contexts';
import { readEventFacts, readShardBilling } from '../../store/inputs/runReads';
import { recordShardResult, storedShardResult } from '../../store/runResults';
import { loadRun, type RunRecord } from '../../store/runs';
import { inTransaction } from '../../store/sql';

export interface BookShardInput {
  runId: string;
  book: string;
  shard: number;
}

export interface BookShardResult {
  book: string;
  shard: number;
  accounts: number;
  entriesWritten: number;
  linesWritten: number;
  drift: number;
}

export async function attributeBookShard(pool: pg.Pool, input: BookShardInput, progress: (accounts: number) => void): Promise<BookShardResult> {
  const run = await loadRun(pool, input.runId);
  const stored = await storedResult(pool, input);
  if (stored) return stored;
  const book = input.book;
  if (!isBookName(book)) throw inputFailure(ErrorType.InvalidRun, `Unknown book "${book}".`);

  const contexts = await readShardContexts<AccountContextRow>(pool, run.contextId, input.shard);
  const transactions = await readShardTransactions(pool, run, input.shard);
  const withRefunds = [...transactions].filter(([, t]) => t.refunds.length > 0).map(([accountId]) => accountId);
  const prior = await readPriorAttributedPayments(pool, run, book, withRefunds);
  const learned = await readLearnedModels(pool, run.runId);

  const decisions: LedgerDecision[] = [];
  let accounts = 0;
  const pace = pacer(); // a book over a thousand accounts is seconds of CPU: let heartbeats out
  for (const row of contexts) {
    await pace();
    const ctx = contextFromRow(row, run.asOf);
    const own = transactions.get(ctx.accountId);
    if (!own) continue; // no transaction in this period
    const priorPayments = prior.get(ctx.accountId) ?? new Map<string, AttributedPayment>();
    const decided = decideAccountBook({
      ctx,
      book,
      weigh: (tx) => weighTransaction(run.ruleset, book, ctx, tx, learned),
      payments: own.payments,
      refunds: own.refunds,
      priorAttributedPayments: priorPayments,
      priorAttributedCurrencies: new Set([...priorPayments.values()].map((p) => p.currency)),
    });
    for (const d of decided) decisions.push({ ...d, accountId: ctx.accountId, userId: own.userOf.get(`${d.kind}:${d.transactionId}`)! });
    accounts += 1;
    if (accounts % 100 === 0) progress(accounts);
  }

  // The ledger rows and the shard's result commit together: the result marks the shard done.
  const result = await inTransaction(pool, async (client) => {
    const written = await writeDecisions(client, { runId: run.runId, modelVersion: run.modelVersion, basis: run.basis, book }, decisions);
    await recordShardResult(client, { runId: run.runId, book, shard: input.shard, accounts, ...written });
    return { book, shard: input.shard, accounts, ...written };
  });
  progress(accounts);
  return result;
}

/** The result of a book shard that is done. */
export async function storedResult(pool: pg.Pool, input: BookShardInput): Promise<BookShardResult | undefined> {
  const r = await storedShardResult(pool, { runId: input.runId, book: input.book, shard: input.shard });
  return r && { book: r.book, shard: r.shard, accounts: r.accounts, entriesWritten: r.entriesWritten, linesWritten: r.linesWritten, drift: r.drift };
}

interface AccountTransactions {
  payments: TransactionFacts[];
  refunds: TransactionFacts[];
  /** `kind:id` → the user who paid or was refunded */
  userOf: Map<string, string>;
}

/** The shard's payments and refunds of the run's period, per account, with what events add to them. */
async function readShardTransactions(pool: pg.Pool, run: RunRecord, shard: number): Promise<Map<string, AccountTransactions>> {
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

/**
 * Payments already attributed under this model version and book, with their lines and rule, for
 * the accounts that have refunds to decide (only refunds look at earlier runs), and what refunds
 * before this period already reversed of each (refunds of the period are decided again, in order).
 */
async function readPriorAttributedPayments(pool: pg.Pool, run: RunRecord, book: string, accountIds: ReadonlyArray<string>): Promise<Map<string, Map<string, AttributedPayment>>> {
  const byAccount = new Map<string, Map<string, AttributedPayment>>();
  if (accountIds.length === 0) return byAccount;
  const key = { modelVersion: run.modelVersion, basis: run.basis, book };
  const [lines, reversals] = await Promise.all([
    attributedPaymentLines(pool, key, accountIds),
    run.periodFrom === null ? Promise.resolve([]) : reversedBefore(pool, key, accountIds, new Date(run.periodFrom), REASONS.refundOfPayment),
  ]);
  const payments = new Map<string, AttributedPayment & { lines: AllocationLine[]; reversed: AllocationLine[] }>();
  for (const r of lines) {
    let account = byAccount.get(r.accountId);
    if (!account) byAccount.set(r.accountId, (account = new Map()));
    let payment = payments.get(r.transactionId);
    if (!payment) {
      payment = { currency: r.currency, ruleName: r.ruleName, lines: [], reversed: [] };
      payments.set(r.transactionId, payment);
      account.set(r.transactionId, payment);
    }
    payment.lines.push({ channel: r.channel, amountUnits: parseAmountUnits(r.amount) });
  }
  for (const r of reversals) payments.get(r.paymentId)?.reversed.push({ channel: r.channel, amountUnits: parseAmountUnits(r.amount) });
  return byAccount;
}
