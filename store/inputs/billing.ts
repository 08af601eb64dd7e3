// Reads of the billing inputs (payments and refunds, of both shapes) and of the membership that
// maps their users to accounts, for the commands that read inputs without a run: the month grid's
// default range and the sensitivity sweep (docs/reports.md, "Sensitivity"). A run's own reads are
// its context build's (store/contexts.ts) and its book shards' (store/inputs/runReads.ts).
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

/** The first and last UTC month (`YYYY-MM`) with a payment or refund; null when there is none. */
export async function billingMonthSpan(db: Db): Promise<{ first: string | null; last: string | null }> {
  const span = await db.query<{ first: string | null; last: string | null }>(
    `SELECT to_char(min(at) AT TIME ZONE 'UTC', 'YYYY-MM') AS first, to_char(max(at) AT TIME ZONE 'UTC', 'YYYY-MM') AS last
       FROM (SELECT paid_at AS at FROM payments UNION ALL SELECT refunded_at FROM refunds) t`);
  return { first: span.rows[0]?.first ?? null, last: span.rows[0]?.last ?? null };
}

/**
 * Users → accounts as a run resolves them (an owner is their own account; a member listed under
 * one owner belongs to that owner; a member under two owners is ambiguous and left out), for the
 * accounts with a payment or refund before `asOf`, ordered by account and user.
 */
export async function payingUserAccounts(db: Db, asOf: Date): Promise<Array<{ userId: string; accountId: string }>> {
  const rows = await db.query<{ user_id: string; account_id: string }>(
    `WITH resolved AS (
       SELECT user_id, CASE WHEN bool_or(is_owner) THEN user_id WHEN count(DISTINCT owner_id) = 1 THEN min(owner_id) END AS account_id
         FROM (SELECT owner_id AS user_id, owner_id, true AS is_owner FROM workspaces
               UNION ALL SELECT unnest(member_ids), owner_id, false FROM workspaces) m
        GROUP BY user_id),
     paying AS (
       SELECT DISTINCT r.account_id FROM resolved r
         JOIN (SELECT user_id FROM payments WHERE paid_at < $1 UNION SELECT user_id FROM refunds WHERE refunded_at < $1) t USING (user_id)
        WHERE r.account_id IS NOT NULL)
     SELECT r.user_id, r.account_id FROM resolved r JOIN paying USING (account_id) ORDER BY r.account_id, r.user_id`,
    [asOf],
  );
  return rows.rows.map((r) => ({ userId: r.user_id, accountId: r.account_id }));
}

export interface StoredPayment {
  userId: string;
  paymentId: string;
  /** decimal text, as stored (numeric(18,4)) */
  amount: string;
  currency: string;
  paidAt: Date;
}

export interface StoredRefund {
  userId: string;
  refundId: string;
  /** decimal text, positive: it is subtracted */
  amount: string;
  currency: string;
  refundedAt: Date;
  paymentId: string | null;
}

/** The payments of these users before `asOf`. */
export async function paymentsOfUsers(db: Db, userIds: ReadonlyArray<string>, asOf: Date): Promise<StoredPayment[]> {
  const rows = await db.query<{ user_id: string; payment_id: string; amount: string; currency: string; paid_at: Date }>(
    'SELECT user_id, payment_id, amount, currency, paid_at FROM payments WHERE user_id = ANY($1::text[]) AND paid_at < $2', [userIds, asOf]);
  return rows.rows.map((r) => ({ userId: r.user_id, paymentId: r.payment_id, amount: r.amount, currency: r.currency, paidAt: r.paid_at }));
}

/** The refunds of these users before `asOf`. */
export async function refundsOfUsers(db: Db, userIds: ReadonlyArray<string>, asOf: Date): Promise<StoredRefund[]> {
  const rows = await db.query<{ user_id: string; refund_id: string; amount: string; currency: string; refunded_at: Date; payment_id: string | null }>(
    'SELECT user_id, refund_id, amount, currency, refunded_at, payment_id FROM refunds WHERE user_id = ANY($1::text[]) AND refunded_at < $2', [userIds, asOf]);
  return rows.rows.map((r) => ({ userId: r.user_id, refundId: r.refund_id, amount: r.amount, currency: r.currency, refundedAt: r.refunded_at, paymentId: r.payment_id }));
}
