// attributeShard: every book of the run over the accounts of one shard, in one pass
// (docs/decisions.md, "Books and allocation" and "Decisions"; docs/cli-and-worker.md, "The run
// sequence"). The stored contexts, the shard's transactions of the period, the earlier entries
// and the learned models are read once; then, in one transaction, each book in turn decides every
// transaction and writes its ledger rows and shard result, and every book commits together.
// Idempotent: a book with a result for the shard is done, and only the books without one are decided.
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';
import { isBookName, weighTransaction, type BookName, type LearnedModels } from '../../domain/books';
import { decideAccountBook, type AttributedPayment } from '../../domain/decisions';
import type { Ruleset } from '../../domain/ruleset';
import type { AccountContext } from '../../domain/context';
import { pacer } from '../heartbeat';
import { contextFromRow, type AccountContextRow } from './contextRows';
import { readPriorAttributedPayments, readShardTransactions, type AccountTransactions, type PriorPayments } from './shardTransactions';
import { registerSurrogates, writeDecisions, type LedgerDecision, type LedgerWriteTiming } from '../../store/ledger';
import { readLearnedModels } from '../../store/learnedModelReads';
import { readShardContexts } from '../../store/contexts';
import { recordShardResult, storedShardResult, storedShardResults, type ShardResult } from '../../store/runResults';
import { loadRun, type RunRecord } from '../../store/runs';
import { inTransaction } from '../../store/sql';

export interface ShardInput {
  runId: string;
  shard: number;
  books: string[];
}

/** One book's result over one shard. */
export interface BookShardResult {
  book: string;
  shard: number;
  accounts: number;
  entriesWritten: number;
  linesWritten: number;
  drift: number;
}

/** What one pass did: each book's result in the order asked, and the timing of its ledger write when it wrote one. */
export interface ShardPassResult {
  shard: number;
  books: BookShardResult[];
  /** For the bench (never stored); absent when every book was already done (a retry). */
  ledgerWrite?: LedgerWriteTiming;
}

/** Every book of `input.books` over one shard. */
export async function attributeShard(pool: pg.Pool, input: ShardInput, progress: (accounts: number) => void): Promise<ShardPassResult> {
  const run = await loadRun(pool, input.runId);
  const done = await storedShardResults(pool, run.runId, input.shard, input.books);
  const books = input.books.filter((b) => !done.has(b)).map((book) => {
    if (!isBookName(book)) throw inputFailure(ErrorType.InvalidRun, `Unknown book "${book}".`);
    return book;
  });
  let ledgerWrite: LedgerWriteTiming | undefined;
  if (books.length > 0) {
    const shard = await readShard(pool, run, input.shard, books);
    const decide = bookDecider(run, shard, progress);
    // The ledger rows and the results commit together: a book's result marks it done on the shard.
    // Each book is decided and written before the next is decided, so that only one book's
    // decisions are held at a time (four shard passes side by side held six books each, and the
    // garbage collector took over a quarter of the worker's CPU time copying them).
    ledgerWrite = await inTransaction(pool, async (client) => {
      const timing = { startedAt: 0, seconds: 0, lines: 0 };
      for (const book of books) {
        const decisions = await decide(book);
        // On a connection of its own, committed at once (the worker's pool has room: docs/cli-and-worker.md).
        await registerSurrogates(pool, run.runId, [decisions]);
        const { ledgerWrite: written, ...counts } = await writeDecisions(client, { runId: run.runId, modelVersion: run.modelVersion, basis: run.basis, book }, decisions);
        const result: ShardResult = { runId: run.runId, book, shard: input.shard, accounts: shard.accounts.length, ...counts };
        await recordShardResult(client, result);
        done.set(book, result);
        timing.startedAt ||= written.startedAt;
        timing.seconds += written.seconds;
        timing.lines += counts.linesWritten;
      }
      return timing;
    });
  }
  return { shard: input.shard, books: input.books.map((book) => resultOf(done.get(book)!)), ...(ledgerWrite ? { ledgerWrite } : {}) };
}

const resultOf = (r: ShardResult): BookShardResult =>
  ({ book: r.book, shard: r.shard, accounts: r.accounts, entriesWritten: r.entriesWritten, linesWritten: r.linesWritten, drift: r.drift });

/** The result of one book over one shard when it is done (also the unattributable step's, under its shard number). */
export async function storedResult(pool: pg.Pool, key: { runId: string; book: string; shard: number }): Promise<BookShardResult | undefined> {
  const r = await storedShardResult(pool, key);
  return r && resultOf(r);
}

/** What a shard pass reads once for all its books. */
interface ShardReads {
  accounts: AccountContext[];
  transactions: Map<string, AccountTransactions>;
  learned: LearnedModels | undefined;
  prior: PriorPayments;
}

async function readShard(pool: pg.Pool, run: RunRecord, shard: number, books: ReadonlyArray<BookName>): Promise<ShardReads> {
  const [rows, transactions, learned] = await Promise.all([
    readShardContexts<AccountContextRow>(pool, run.contextId, shard),
    readShardTransactions(pool, run, shard),
    readLearnedModels(pool, run.runId),
  ]);
  const withRefunds = [...transactions].filter(([, t]) => t.refunds.length > 0).map(([accountId]) => accountId);
  const prior = await readPriorAttributedPayments(pool, run, books, withRefunds);
  const accounts = rows.map((row) => contextFromRow(row, run.asOf)).filter((ctx) => transactions.has(ctx.accountId));
  return { accounts, transactions, learned, prior };
}

/** Decides the shard under one book at a time, reporting the accounts done over all books. */
function bookDecider(run: RunRecord, shard: ShardReads, progress: (accounts: number) => void): (book: BookName) => Promise<LedgerDecision[]> {
  let accountsDone = 0;
  const pace = pacer(); // a book over a thousand accounts is seconds of CPU: let heartbeats out
  return async (book) => {
    const decisions: LedgerDecision[] = [];
    for (const ctx of shard.accounts) {
      await pace();
      decisions.push(...decideAccount(run.ruleset, book, shard.learned, ctx, shard.transactions.get(ctx.accountId)!, shard.prior.get(book)!.get(ctx.accountId)));
      if (++accountsDone % 100 === 0) progress(accountsDone);
    }
    progress(accountsDone);
    return decisions;
  };
}

/** One account's transactions of the period under one book, as ledger decisions (exported for bench/probes/bookCosts.ts). */
export function decideAccount(
  ruleset: Ruleset, book: BookName, learned: LearnedModels | undefined, ctx: AccountContext, own: AccountTransactions,
  priorPayments: Map<string, AttributedPayment> = new Map(),
): LedgerDecision[] {
  const decided = decideAccountBook({
    ctx,
    book,
    weigh: (tx) => weighTransaction(ruleset, book, ctx, tx, learned),
    payments: own.payments,
    refunds: own.refunds,
    priorAttributedPayments: priorPayments,
    priorAttributedCurrencies: new Set([...priorPayments.values()].map((p) => p.currency)),
  });
  // One literal for every decision, in one property order: the ledger write reads millions of them.
  return decided.map((d): LedgerDecision => ({
    transactionId: d.transactionId, kind: d.kind, currency: d.currency, amountUnits: d.amountUnits, at: d.at, status: d.status,
    reason: d.reason, ruleName: d.ruleName, lines: d.lines, accountId: ctx.accountId, userId: own.userOf.get(`${d.kind}:${d.transactionId}`)!,
  }));
}
