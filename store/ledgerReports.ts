// Every ledger read of the reports (docs/ledger.md, "Reads"), through the views ledger_entries
// and ledger_lines, so that what a report selects (model version, basis, books, period) is
// decided in one place: `scope`. Rows are selected by their key and period rather than by the
// run ids that wrote them, because a repeated run writes nothing new: its rows carry the run id
// of the first run that wrote them. The runs reported on are listed in the manifest and the
// report's header.
import type pg from 'pg';
import { parseAmountUnits } from '../domain/money';
import type { ChannelRevenue } from '../reporting/attributionCsv';
import type { MonthRevenue } from '../reporting/comparison';
import type { DecisionCount } from '../reporting/summary';
import { inPeriod } from './predicates';

type Db = pg.Pool | pg.PoolClient;

export interface LedgerScope {
  modelVersion: string;
  /** `monthly` or `as_of:<instant>`: a report is of one basis (docs/operations.md). */
  basis: string;
  books: ReadonlyArray<string>;
  /** ISO instants; from null = the beginning of time. */
  from: string | null;
  to: string;
}

/** The WHERE clause of a scope over a ledger table (alias `t`), with its parameters from $1. */
function scope(s: LedgerScope, column = 'event_at'): { where: string; params: unknown[] } {
  return {
    where: `model_version = $1 AND book = ANY($2) AND ${inPeriod(column, '$3', '$4')} AND basis = $5`,
    params: [s.modelVersion, [...s.books], s.from === null ? null : new Date(s.from), new Date(s.to), s.basis],
  };
}

/** Revenue per (book, channel, currency) from the ledger lines of the scope. */
export async function channelRevenue(db: Db, s: LedgerScope): Promise<Map<string, ChannelRevenue[]>> {
  const q = scope(s);
  const result = await db.query<{ book: string; channel: string; currency: string; revenue: string; accounts: number; transactions: number }>(
    `WITH per_account AS (
       SELECT book, channel, currency, account_id, sum(amount) AS amount, count(*) AS transactions
         FROM ledger_lines WHERE ${q.where}
        GROUP BY book, channel, currency, account_id)
     SELECT book, channel, currency::text AS currency, sum(amount)::text AS revenue,
            (count(*) FILTER (WHERE amount <> 0))::int AS accounts, sum(transactions)::int AS transactions
       FROM per_account GROUP BY book, channel, currency`,
    q.params,
  );
  const byBook = new Map<string, ChannelRevenue[]>();
  for (const r of result.rows) {
    const rows = byBook.get(r.book) ?? [];
    rows.push({ channel: r.channel, currency: r.currency, revenueUnits: parseAmountUnits(r.revenue), accounts: r.accounts, transactions: r.transactions });
    byBook.set(r.book, rows);
  }
  return byBook;
}

export async function decisionCounts(db: Db, s: LedgerScope): Promise<DecisionCount[]> {
  const q = scope(s);
  const result = await db.query<DecisionCount>(
    `SELECT book, kind, status, reason, count(*)::int AS count, sum(amount)::text AS amount
       FROM ledger_entries WHERE ${q.where}
      GROUP BY book, kind, status, reason ORDER BY book, kind, status, reason`,
    q.params,
  );
  return result.rows;
}

/** Accounts with attributed revenue under one book, per currency. */
export async function attributedAccounts(db: Db, s: LedgerScope, book: string): Promise<Array<{ currency: string; accounts: number }>> {
  const q = scope({ ...s, books: [book] });
  const result = await db.query<{ currency: string; accounts: number }>(
    `SELECT currency::text AS currency, count(DISTINCT account_id)::int AS accounts FROM ledger_entries
      WHERE ${q.where} AND status = 'attributed' GROUP BY currency ORDER BY currency`,
    q.params,
  );
  return result.rows;
}

/** Revenue and accounts per UTC month, book, channel and currency. */
export async function revenueByMonth(db: Db, s: LedgerScope): Promise<MonthRevenue[]> {
  const q = scope(s);
  const result = await db.query<{ month: string; book: string; channel: string; currency: string; revenue: string; accounts: number }>(
    `WITH per_account AS (
       SELECT to_char(date_trunc('month', event_at AT TIME ZONE 'UTC'), 'YYYY-MM') AS month, book, channel, currency, account_id, sum(amount) AS amount
         FROM ledger_lines WHERE ${q.where}
        GROUP BY 1, book, channel, currency, account_id)
     SELECT month, book, channel, currency::text AS currency, sum(amount)::text AS revenue, (count(*) FILTER (WHERE amount <> 0))::int AS accounts
       FROM per_account GROUP BY month, book, channel, currency`,
    q.params,
  );
  return result.rows.map((r) => ({ month: r.month, book: r.book, channel: r.channel, currency: r.currency, revenueUnits: parseAmountUnits(r.revenue), accounts: r.accounts }));
}

export interface ReplayChannelRow {
  book: string;
  channel: string;
  currency: string;
  old: string;
  new: string;
}

/** Old and new revenue per book, channel and currency, for two model versions over one period. */
export async function replayChannels(db: Db, oldVersion: string, s: LedgerScope): Promise<ReplayChannelRow[]> {
  const q = scope(s);
  const result = await db.query<ReplayChannelRow>(
    `SELECT book, channel, currency::text AS currency,
            coalesce(sum(amount) FILTER (WHERE model_version = $6), 0)::numeric(18,4)::text AS old,
            coalesce(sum(amount) FILTER (WHERE model_version = $1), 0)::numeric(18,4)::text AS new
       FROM ledger_lines
      WHERE (${q.where.replace('model_version = $1', 'model_version IN ($1, $6)')})
      GROUP BY book, channel, currency ORDER BY book, currency, channel`,
    [...q.params, oldVersion],
  );
  return result.rows;
}

export interface Mover {
  book: string;
  currency: string;
  accountId: string;
  moved: string;
}

/** Per book and currency, the accounts whose attribution moved most (sum over channels of |new − old|). */
export async function replayMovers(db: Db, oldVersion: string, s: LedgerScope, top: number): Promise<Mover[]> {
  const q = scope(s);
  const result = await db.query<{ book: string; account_id: string; currency: string; moved: string }>(
    `WITH per_channel AS (
       SELECT book, account_id, currency, channel,
              coalesce(sum(amount) FILTER (WHERE model_version = $1), 0) - coalesce(sum(amount) FILTER (WHERE model_version = $6), 0) AS delta
         FROM ledger_lines
        WHERE (${q.where.replace('model_version = $1', 'model_version IN ($1, $6)')})
        GROUP BY book, account_id, currency, channel),
     per_account AS (
       SELECT book, account_id, currency::text AS currency, sum(abs(delta)) AS moved,
              row_number() OVER (PARTITION BY book, currency ORDER BY sum(abs(delta)) DESC, account_id) AS rank
         FROM per_channel GROUP BY book, account_id, currency)
     SELECT book, account_id, currency, moved::numeric(18,4)::text AS moved FROM per_account
      WHERE rank <= $7 AND moved > 0 ORDER BY book, currency, rank`,
    [...q.params, oldVersion, top],
  );
  return result.rows.map((r) => ({ book: r.book, currency: r.currency, accountId: r.account_id, moved: r.moved }));
}
