// Reads of the input tables that runs, reports and commands need (docs/cli-and-worker.md, "The
// store layer"): the data version, the ingested file versions a report names, and the months
// that hold billing data. The input tables' writes are the ingest's (store/inputs.ts and its
// neighbours).
import type pg from 'pg';

type Db = pg.Pool | pg.PoolClient;

/** The data version: the newest ingested file version (file ids only grow), 0 for an empty database. */
export async function currentDataVersion(db: Db): Promise<number> {
  const data = await db.query<{ version: string }>('SELECT coalesce(max(file_id), 0)::text AS version FROM ingested_files');
  return Number(data.rows[0]!.version);
}

export interface FileVersion {
  dataset: string;
  kind: string;
  file: string;
  version: number;
  sha256: string;
  fileId: number;
}

/**
 * Every ingested file version up to a data version (null: every one stored), in load order: older
 * versions count too, since their rows stay in the input tables.
 */
export async function fileVersionsUpTo(db: Db, upToFileId: number | null = null): Promise<FileVersion[]> {
  const result = await db.query<{ dataset: string; kind: string; file_name: string; version: number; content_sha256: string; file_id: string }>(
    `SELECT dataset, kind, file_name, version, content_sha256, file_id::text
       FROM ingested_files WHERE $1::bigint IS NULL OR file_id <= $1 ORDER BY file_id`,
    [upToFileId],
  );
  return result.rows.map((r) => ({ dataset: r.dataset, kind: r.kind, file: r.file_name, version: r.version, sha256: r.content_sha256, fileId: Number(r.file_id) }));
}

/** The first and last UTC month (YYYY-MM) with a payment or refund; nulls when there is none. */
export async function billingMonthSpan(db: Db): Promise<{ first: string | null; last: string | null }> {
  const span = await db.query<{ first: string | null; last: string | null }>(
    `SELECT to_char(min(at) AT TIME ZONE 'UTC', 'YYYY-MM') AS first, to_char(max(at) AT TIME ZONE 'UTC', 'YYYY-MM') AS last
       FROM (SELECT paid_at AS at FROM payments UNION ALL SELECT refunded_at FROM refunds) t`);
  return span.rows[0] ?? { first: null, last: null };
}

/**
 * Users → accounts as a run resolves them (an owner is their own account; a member listed under
 * one owner belongs to that owner; a member under two owners is ambiguous and left out), for the
 * accounts with a payment or refund before `before`, in (account, user) order.
 */
export async function payingUserAccounts(db: Db, before: Date): Promise<Array<{ userId: string; accountId: string }>> {
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
    [before],
  );
  return rows.rows.map((r) => ({ userId: r.user_id, accountId: r.account_id }));
}

export interface PaymentRecord {
  user_id: string;
  payment_id: string;
  amount: string;
  currency: string;
  paid_at: Date;
}

export interface RefundRecord {
  user_id: string;
  refund_id: string;
  amount: string;
  currency: string;
  refunded_at: Date;
  payment_id: string | null;
}

/** The payments and refunds of some users before an instant, as stored (amounts as exact text). */
export async function billingOfUsersBefore(db: Db, userIds: ReadonlyArray<string>, before: Date): Promise<{ payments: PaymentRecord[]; refunds: RefundRecord[] }> {
  const params = [[...userIds], before];
  const [payments, refunds] = await Promise.all([
    db.query<PaymentRecord>('SELECT user_id, payment_id, amount, currency, paid_at FROM payments WHERE user_id = ANY($1::text[]) AND paid_at < $2', params),
    db.query<RefundRecord>('SELECT user_id, refund_id, amount, currency, refunded_at, payment_id FROM refunds WHERE user_id = ANY($1::text[]) AND refunded_at < $2', params),
  ]);
  return { payments: payments.rows, refunds: refunds.rows };
}
