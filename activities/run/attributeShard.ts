// attributeShard: every book of the run over the accounts of one shard, in one pass
// (docs/decisions.md, "Books and allocation" and "Decisions"; docs/cli-and-worker.md, "The run
// sequence"). The stored contexts, the shard's transactions of the period, the earlier entries
// and the learned models are read once; each book decides every transaction; then the ledger rows
// of every book and each book's shard result commit in one transaction. Idempotent: a book with a
// result for the shard is done, and only the books without one are decided.
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';
import { isBookName, weighTransaction, type BookName, type LearnedModels } from '../../domain/books';
import { decideAccountBook, type AttributedPayment } from '../../domain/decisions';
import type { Ruleset } from '../../domain/ruleset';
import type { AccountContext } from '../../domain/context';
import { pacer } from '../heartbeat';
import { contextFromRow, type AccountContextRow } from './contextRows';
import { readPriorAttributedPayments, readShardTransactions, type AccountTransactions } from './shardTransactions';
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
  const books = input.books.filter((b) => !done.has(b));
  let ledgerWrite: LedgerWriteTiming | undefined;
  if (books.length > 0) {
    const decided = await decideShard(pool, { ...input, books }, run, progress);
    await registerSurrogates(pool, run.runId, decided.map((d) => d.decisions));
    const startedAt = Date.now();
    // The ledger rows and the results commit together: a book's result marks it done on the shard.
    const lines = await inTransaction(pool, async (client) => {
      let written = 0;
      for (const { book, accounts, decisions } of decided) {
        const { ledgerWrite: _timing, ...counts } = await writeDecisions(client, { runId: run.runId, modelVersion: run.modelVersion, basis: run.basis, book }, decisions);
        const result: ShardResult = { runId: run.runId, book, shard: input.shard, accounts, ...counts };
        await recordShardResult(client, result);
        done.set(book, result);
        written += counts.linesWritten;
      }
      return written;
    });
    ledgerWrite = { startedAt, seconds: (Date.now() - startedAt) / 1000, lines };
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

interface BookDecisions {
  book: BookName;
  accounts: number;
  decisions: LedgerDecision[];
}

/** Reads the shard once and decides it under every book. */
async function decideShard(pool: pg.Pool, input: ShardInput, run: RunRecord, progress: (accounts: number) => void): Promise<BookDecisions[]> {
  const books = input.books.map((book) => {
    if (!isBookName(book)) throw inputFailure(ErrorType.InvalidRun, `Unknown book "${book}".`);
    return book;
  });
  const [rows, transactions, learned] = await Promise.all([
    readShardContexts<AccountContextRow>(pool, run.contextId, input.shard),
    readShardTransactions(pool, run, input.shard),
    readLearnedModels(pool, run.runId),
  ]);
  const withRefunds = [...transactions].filter(([, t]) => t.refunds.length > 0).map(([accountId]) => accountId);
  const prior = await readPriorAttributedPayments(pool, run, books, withRefunds);
  const accounts = rows.map((row) => contextFromRow(row, run.asOf)).filter((ctx) => transactions.has(ctx.accountId));

  const decided: BookDecisions[] = [];
  let accountsDone = 0;
  const pace = pacer(); // a book over a thousand accounts is seconds of CPU: let heartbeats out
  for (const book of books) {
    const decisions: LedgerDecision[] = [];
    for (const ctx of accounts) {
      await pace();
      decisions.push(...decideAccount(run.ruleset, book, learned, ctx, transactions.get(ctx.accountId)!, prior.get(book)!.get(ctx.accountId)));
      if (++accountsDone % 100 === 0) progress(accountsDone);
    }
    decided.push({ book, accounts: accounts.length, decisions });
  }
  progress(accountsDone);
  return decided;
}

/** One account's transactions of the period under one book, as ledger decisions. */
function decideAccount(
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
