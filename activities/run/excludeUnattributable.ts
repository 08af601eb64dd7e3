// excludeUnattributable: payments and refunds of the period whose user maps to no account
// (unmatched) or to several (ambiguous) get an `excluded` entry per book, so that they show in
// the reconciliation (SPEC §7, §8). Plain SQL; idempotent through the same keys as every entry.
import type pg from 'pg';
import { REASONS } from '../../domain/reasons';
import { storedResult, type BookShardResult } from './attributeBookShard';
import { inPeriod, loadRun } from './runRecord';

/** The shard number under which this step records its result. */
export const UNATTRIBUTABLE_SHARD = -1;

export async function excludeUnattributable(pool: pg.Pool, input: { runId: string; book: string }): Promise<BookShardResult> {
  const key = { runId: input.runId, book: input.book, shard: UNATTRIBUTABLE_SHARD };
  const stored = await storedResult(pool, key);
  if (stored) return stored;
  const run = await loadRun(pool, input.runId);
  const params = [run.modelVersion, input.book, run.runId, run.contextId, run.periodFrom === null ? null : new Date(run.periodFrom), new Date(run.periodTo), REASONS.ambiguousUser, REASONS.unmatchedUser, run.basis];
  const reason = `CASE WHEN ua.ambiguous THEN $7 ELSE $8 END`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const payments = await client.query(
      `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
       SELECT $1, $9, $2, 'payment', p.payment_id, NULL, p.user_id, p.currency, p.amount, p.paid_at, 'excluded', ${reason}, $3
         FROM payments p LEFT JOIN context_user_accounts ua ON ua.context_id = $4 AND ua.user_id = p.user_id
        WHERE ua.account_id IS NULL AND ${inPeriod('p.paid_at', '$5', '$6')}
       ON CONFLICT (model_version, basis, book, kind, transaction_id) DO NOTHING`,
      params,
    );
    const refunds = await client.query(
      `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
       SELECT $1, $9, $2, 'refund', r.refund_id, NULL, r.user_id, r.currency, -r.amount, r.refunded_at, 'excluded', ${reason}, $3
         FROM refunds r LEFT JOIN context_user_accounts ua ON ua.context_id = $4 AND ua.user_id = r.user_id
        WHERE ua.account_id IS NULL AND ${inPeriod('r.refunded_at', '$5', '$6')}
       ON CONFLICT (model_version, basis, book, kind, transaction_id) DO NOTHING`,
      params,
    );
    const entriesWritten = (payments.rowCount ?? 0) + (refunds.rowCount ?? 0);
    await client.query(
      `INSERT INTO run_shard_results (run_id, book, shard, accounts, entries_written, lines_written, drift)
       VALUES ($1, $2, $3, 0, $4, 0, 0) ON CONFLICT DO NOTHING`,
      [run.runId, input.book, UNATTRIBUTABLE_SHARD, entriesWritten],
    );
    await client.query('COMMIT');
    return { book: input.book, shard: UNATTRIBUTABLE_SHARD, accounts: 0, entriesWritten, linesWritten: 0, drift: 0 };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
