// The books of a snapshot (all transactions before the cutoff) under several rulesets, computed
// in this process and never written anywhere (docs/reports.md, "Sensitivity"). It reads the
// inputs as a run does, batch by batch of accounts, builds each account's context with the run's
// own code (the timeline in the domain, the usage sums in Postgres) and decides every transaction
// with the domain's decideAccountBook, then keeps only revenue per book, channel and currency.
// Exact: for the ruleset of a stored lifetime run with the same cutoff, the totals equal its ledger.
import type pg from 'pg';
import { readShardInputs, withCountedUsage, type ShardMembers } from '../../activities/run/buildContextShard';
import { readCustomersEventFacts } from '../../store/inputs/runReads';
import { weighTransaction, type BookName } from '../../domain/books';
import { buildAccountTimeline, contextParamsFromRuleset } from '../../domain/context';
import { decideAccountBook } from '../../domain/decisions';
import { parseAmountUnits } from '../../domain/money';
import type { Ruleset } from '../../domain/ruleset';
import { csvTransaction, type TransactionFacts } from '../../domain/transaction';
import type { ChannelRevenue } from '../../reporting/attributionCsv';
import { paymentsOfUsers, payingUserAccounts, refundsOfUsers } from '../../store/inputs/billing';

/** Accounts per batch: bounds the rows held in memory, as a run's shard size does. */
export const SWEEP_ACCOUNTS_PER_BATCH = 1000;

export interface SweepInput {
  rulesets: ReadonlyArray<Ruleset>;
  books: ReadonlyArray<BookName>;
  asOf: string;
  accountsPerBatch?: number;
}

type Totals = Map<string, { revenueUnits: bigint; accountUnits: Map<string, bigint>; transactions: number }>;

/** Per ruleset (in order), per book: revenue per channel and currency, as the run's CSVs count it. */
export async function sweepBookTotals(pool: pg.Pool, input: SweepInput): Promise<Array<Map<string, ChannelRevenue[]>>> {
  const asOf = new Date(input.asOf);
  const members = await payingMembers(pool, asOf);
  const accounts = [...members.usersOf.keys()].sort();
  const totals: Totals[][] = input.rulesets.map(() => input.books.map(() => new Map()));
  const size = input.accountsPerBatch ?? SWEEP_ACCOUNTS_PER_BATCH;
  for (let i = 0; i < accounts.length; i += size) {
    const batch = subset(members, accounts.slice(i, i + size));
    const [inputs, transactions] = await Promise.all([readShardInputs(pool, batch, asOf), readTransactions(pool, batch, asOf)]);
    for (const [r, ruleset] of input.rulesets.entries()) {
      const params = contextParamsFromRuleset(ruleset);
      const timelines = [...inputs.values()].filter((a) => transactions.has(a.accountId)).map((a) => buildAccountTimeline(a, asOf.getTime(), params));
      const contexts = await withCountedUsage(pool, batch, timelines, params);
      for (const [b, book] of input.books.entries()) {
        for (const ctx of contexts) {
          const own = transactions.get(ctx.accountId)!;
          const decisions = decideAccountBook({
            ctx, book, weigh: (tx) => weighTransaction(ruleset, book, ctx, tx), payments: own.payments, refunds: own.refunds,
            priorAttributedPayments: new Map(), priorAttributedCurrencies: new Set(),
          });
          for (const d of decisions) for (const line of d.lines) add(totals[r]![b]!, line.channel, d.currency, ctx.accountId, line.amountUnits);
        }
      }
    }
  }
  return totals.map((perBook) => new Map(input.books.map((book, b) => [book, channelRows(perBook[b]!)])));
}

function add(totals: Totals, channel: string, currency: string, accountId: string, units: bigint): void {
  const key = `${currency}\u0000${channel}`;
  let t = totals.get(key);
  if (!t) totals.set(key, (t = { revenueUnits: 0n, accountUnits: new Map(), transactions: 0 }));
  t.revenueUnits += units;
  t.accountUnits.set(accountId, (t.accountUnits.get(accountId) ?? 0n) + units);
  t.transactions += 1;
}

function channelRows(totals: Totals): ChannelRevenue[] {
  return [...totals].map(([key, t]) => {
    const [currency, channel] = key.split('\u0000') as [string, string];
    return { channel, currency, revenueUnits: t.revenueUnits, accounts: [...t.accountUnits.values()].filter((u) => u !== 0n).length, transactions: t.transactions };
  });
}

/**
 * Users → accounts as a run resolves them (an owner is their own account; a member listed under
 * one owner belongs to that owner; a member under two owners is ambiguous and left out), for the
 * accounts with a payment or refund before the cutoff. Read-only: nothing is stored.
 */
async function payingMembers(pool: pg.Pool, asOf: Date): Promise<ShardMembers> {
  const rows = await payingUserAccounts(pool, asOf);
  const usersOf = new Map<string, string[]>();
  for (const r of rows) usersOf.set(r.accountId, [...(usersOf.get(r.accountId) ?? []), r.userId]);
  return { userIds: rows.map((r) => r.userId), accountOf: new Map(rows.map((r) => [r.userId, r.accountId])), usersOf };
}

function subset(members: ShardMembers, accountIds: ReadonlyArray<string>): ShardMembers {
  const usersOf = new Map(accountIds.map((a) => [a, members.usersOf.get(a) ?? []]));
  const userIds = [...usersOf.values()].flat();
  return { userIds, accountOf: new Map(userIds.map((u) => [u, members.accountOf.get(u)!])), usersOf };
}

interface AccountTransactions {
  payments: TransactionFacts[];
  refunds: TransactionFacts[];
}

/** The batch's payments and refunds before the cutoff, per account, with what events add to them. */
async function readTransactions(pool: pg.Pool, members: ShardMembers, asOf: Date): Promise<Map<string, AccountTransactions>> {
  const [payments, refunds, events] = await Promise.all([
    paymentsOfUsers(pool, members.userIds, asOf),
    refundsOfUsers(pool, members.userIds, asOf),
    readCustomersEventFacts(pool, members.userIds, null, asOf),
  ]);
  const withEvent = (tx: TransactionFacts): TransactionFacts => {
    const event = events.get(tx.transactionId);
    return event === undefined ? tx : { ...tx, ...event };
  };
  const byAccount = new Map<string, AccountTransactions>();
  const of = (userId: string) => {
    const accountId = members.accountOf.get(userId)!;
    let t = byAccount.get(accountId);
    if (!t) byAccount.set(accountId, (t = { payments: [], refunds: [] }));
    return t;
  };
  for (const r of payments) {
    of(r.userId).payments.push(withEvent(csvTransaction({ id: r.paymentId, kind: 'payment', amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.paidAt.getTime() })));
  }
  for (const r of refunds) {
    of(r.userId).refunds.push(withEvent(csvTransaction({ id: r.refundId, kind: 'refund', amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.refundedAt.getTime(), refundOf: r.paymentId })));
  }
  return byAccount;
}
