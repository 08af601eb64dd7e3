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
import { readEventFacts } from './eventFacts';
import { readLearnedModels } from './learnedModels';
import { writeLedger, type LedgerDecision } from './ledgerWriter';
import { inPeriod, loadRun, type RunRecord } from './runRecord';

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

  const contexts = await pool.query<AccountContextRow>(
    'SELECT * FROM account_contexts WHERE context_id = $1 AND shard = $2 ORDER BY account_id',
    [run.contextId, input.shard],
  );
  const transactions = await readShardTransactions(pool, run, input.shard);
  const withRefunds = [...transactions].filter(([, t]) => t.refunds.length > 0).map(([accountId]) => accountId);
  const prior = await readPriorAttributedPayments(pool, run, book, withRefunds);
  const learned = await readLearnedModels(pool, run.runId);

  const decisions: LedgerDecision[] = [];
  let accounts = 0;
  const pace = pacer(); // a book over a thousand accounts is seconds of CPU: let heartbeats out
  for (const row of contexts.rows) {
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

  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const written = await writeLedger(client, { runId: run.runId, modelVersion: run.modelVersion, basis: run.basis, book }, decisions);
    await client.query(
      `INSERT INTO run_shard_results (run_id, book, shard, accounts, entries_written, lines_written, drift)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [run.runId, book, input.shard, accounts, written.entriesWritten, written.linesWritten, written.drift],
    );
    await client.query('COMMIT');
    progress(accounts);
    return { book, shard: input.shard, accounts, ...written };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function storedResult(pool: pg.Pool, input: BookShardInput): Promise<BookShardResult | undefined> {
  const done = await pool.query<{ accounts: number; entries_written: number; lines_written: number; drift: number }>(
    'SELECT accounts, entries_written, lines_written, drift FROM run_shard_results WHERE run_id = $1 AND book = $2 AND shard = $3',
    [input.runId, input.book, input.shard],
  );
  const r = done.rows[0];
  return r && { book: input.book, shard: input.shard, accounts: r.accounts, entriesWritten: r.entries_written, linesWritten: r.lines_written, drift: r.drift };
}

interface AccountTransactions {
  payments: TransactionFacts[];
  refunds: TransactionFacts[];
  /** `kind:id` → the user who paid or was refunded */
  userOf: Map<string, string>;
}

/** The shard's payments and refunds of the run's period, per account, with what events add to them. */
async function readShardTransactions(pool: pg.Pool, run: RunRecord, shard: number): Promise<Map<string, AccountTransactions>> {
  // The shard's users as prepareRun stored them (an index range, not a hash of every user per shard).
  const users = 'SELECT user_id, account_id FROM context_shard_users WHERE context_id = $1 AND shard_count = $2 AND shard = $3';
  const params = [run.contextId, run.shardCount, shard, run.periodFrom === null ? null : new Date(run.periodFrom), new Date(run.periodTo)];
  const [payments, refunds, events] = await Promise.all([
    pool.query(`SELECT u.account_id, p.user_id, p.payment_id, p.amount, p.currency, p.paid_at FROM payments p JOIN (${users}) u USING (user_id)
                 WHERE ${inPeriod('p.paid_at', '$4', '$5')}`, params),
    pool.query(`SELECT u.account_id, r.user_id, r.refund_id, r.amount, r.currency, r.refunded_at, r.payment_id FROM refunds r JOIN (${users}) u USING (user_id)
                 WHERE ${inPeriod('r.refunded_at', '$4', '$5')}`, params),
    readEventFacts(pool, run, shard),
  ]);
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
  for (const r of payments.rows) {
    const t = of(r.account_id);
    t.payments.push(withEvent(csvTransaction({ id: r.payment_id, kind: 'payment', amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.paid_at.getTime() })));
    t.userOf.set(`payment:${r.payment_id}`, r.user_id);
  }
  for (const r of refunds.rows) {
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
  const params = [run.modelVersion, book, accountIds, run.basis];
  const [lines, reversals] = await Promise.all([
    pool.query<{ account_id: string; transaction_id: string; currency: string; rule_name: string | null; channel: string; amount: string }>(
      `SELECT e.account_id, e.transaction_id, e.currency, e.rule_name, l.channel, l.amount
         FROM ledger_entries e
         JOIN ledger_lines l USING (model_version, basis, book, kind, transaction_id)
        WHERE e.model_version = $1 AND e.book = $2 AND e.basis = $4 AND e.kind = 'payment' AND e.status = 'attributed' AND e.account_id = ANY($3::text[])
        ORDER BY e.account_id, e.transaction_id, l.channel`,
      params,
    ),
    run.periodFrom === null
      ? Promise.resolve({ rows: [] as Array<{ payment_id: string; channel: string; amount: string }> })
      : pool.query<{ payment_id: string; channel: string; amount: string }>(
        `SELECT r.payment_id, l.channel, sum(l.amount)::text AS amount
           FROM ledger_entries e
           JOIN refunds r ON r.refund_id = e.transaction_id
           JOIN ledger_lines l USING (model_version, basis, book, kind, transaction_id)
          WHERE e.model_version = $1 AND e.book = $2 AND e.basis = $4 AND e.kind = 'refund' AND e.reason = $6 AND e.account_id = ANY($3::text[])
            AND r.refunded_at < $5
          GROUP BY r.payment_id, l.channel`,
        [...params, new Date(run.periodFrom), REASONS.refundOfPayment],
      ),
  ]);
  const payments = new Map<string, AttributedPayment & { lines: AllocationLine[]; reversed: AllocationLine[] }>();
  for (const r of lines.rows) {
    let account = byAccount.get(r.account_id);
    if (!account) byAccount.set(r.account_id, (account = new Map()));
    let payment = payments.get(r.transaction_id);
    if (!payment) {
      payment = { currency: r.currency, ruleName: r.rule_name, lines: [], reversed: [] };
      payments.set(r.transaction_id, payment);
      account.set(r.transaction_id, payment);
    }
    payment.lines.push({ channel: r.channel, amountUnits: parseAmountUnits(r.amount) });
  }
  for (const r of reversals.rows) payments.get(r.payment_id)?.reversed.push({ channel: r.channel, amountUnits: parseAmountUnits(r.amount) });
  return byAccount;
}
