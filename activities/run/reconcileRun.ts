// reconcileRun: per book and currency, the billing total of the period (all payments − all
// refunds, matched or not) against the ledger's attributed and excluded totals (docs/decisions.md, "Ledger and runs"). The
// invariant is attributed + excluded = billing exactly; a variance above 0.01 % fails the run
// loudly. It also asserts that every attributed entry's lines sum to its amount.
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';
import type { ReconciliationLine } from '../../reporting/summary';
import { analyzeLedger, unbalancedEntries } from '../../store/ledger';
import { inPeriod, loadRun } from './runRecord';

/** The ledger of one book under one model version and basis. */
export interface BookKey {
  modelVersion: string;
  basis: string;
  book: string;
}

/** One book and currency of a reconciliation (the shape the summary renders). */
export type ReconciliationRow = ReconciliationLine;

/** Relative variance above which a run fails (0.01 %). */
export const MAX_RELATIVE_VARIANCE = new Decimal('0.0001');

export async function reconcileRun(pool: pg.Pool, input: { runId: string }): Promise<ReconciliationRow[]> {
  const run = await loadRun(pool, input.runId);
  const period = [run.periodFrom === null ? null : new Date(run.periodFrom), new Date(run.periodTo)];
  // The shards have just written many rows; without fresh statistics the planner joins them with
  // nested loops (seconds instead of milliseconds). ANALYZE samples, so it stays cheap.
  await analyzeLedger(pool);
  for (const book of run.books) {
    const key = { modelVersion: run.modelVersion, basis: run.basis, book };
    await assertLinesSumToEntries(pool, key, period);
    const rows = await computeReconciliation(pool, key, period);
    await pool.query(
      `INSERT INTO run_reconciliations (run_id, book, currency, billing_total, attributed_total, excluded_total, excluded_by_reason, variance)
       SELECT $1, $2, r.currency, r.billing_total, r.attributed_total, r.excluded_total, r.excluded_by_reason, r.variance
         FROM jsonb_to_recordset($3::jsonb) AS r(currency text, billing_total numeric, attributed_total numeric, excluded_total numeric,
                                                 excluded_by_reason jsonb, variance numeric)
       ON CONFLICT (run_id, book, currency) DO NOTHING`,
      [run.runId, book, JSON.stringify(rows.map((r) => ({
        currency: r.currency, billing_total: r.billingTotal, attributed_total: r.attributedTotal, excluded_total: r.excludedTotal,
        excluded_by_reason: r.excludedByReason, variance: r.variance,
      })))],
    );
  }
  const rows = await readReconciliation(pool, run.runId);
  const broken = rows.filter((r) => new Decimal(r.variance).abs().gt(new Decimal(r.billingTotal).abs().mul(MAX_RELATIVE_VARIANCE)));
  if (broken.length > 0) {
    const lines = broken.map((r) =>
      `  ${r.book} ${r.currency}: billing ${r.billingTotal}, attributed ${r.attributedTotal} + excluded ${r.excludedTotal} = ` +
      `${new Decimal(r.attributedTotal).plus(r.excludedTotal).toFixed(4)}; variance ${r.variance}`);
    throw inputFailure(
      ErrorType.ReconciliationFailed,
      `Reconciliation failed for run ${run.runId} (model version ${run.modelVersion}): the ledger does not add up to billing ` +
        `(more than 0.01 % variance).\n${lines.join('\n')}\nThe ledger holds decisions for transactions that billing does not ` +
        `(or with other amounts). Inspect ledger_entries for this model version; a corrected ruleset or data needs a new model version.`,
      { runId: run.runId, broken },
    );
  }
  return rows;
}

/** Billing of the period against the ledger of one model version and book, per currency. */
export async function computeReconciliation(pool: pg.Pool, key: BookKey, period: Array<Date | null>): Promise<ReconciliationRow[]> {
  const { book } = key;
  const result = await pool.query<{ currency: string; billing_total: string; attributed_total: string; excluded_total: string; excluded_by_reason: Record<string, string>; variance: string }>(
    `WITH billing AS (
       SELECT currency, sum(amount) AS total FROM (
         SELECT currency, amount FROM payments WHERE ${inPeriod('paid_at', '$3', '$4')}
         UNION ALL
         SELECT currency, -amount FROM refunds WHERE ${inPeriod('refunded_at', '$3', '$4')}) t
       GROUP BY currency),
     by_reason AS (
       SELECT currency, status, reason, sum(amount) AS total FROM ledger_entries
        WHERE model_version = $1 AND book = $2 AND basis = $5 AND ${inPeriod('event_at', '$3', '$4')}
        GROUP BY currency, status, reason),
     ledger AS (
       SELECT currency,
              coalesce(sum(total) FILTER (WHERE status = 'attributed'), 0) AS attributed,
              coalesce(sum(total) FILTER (WHERE status = 'excluded'), 0) AS excluded,
              coalesce(jsonb_object_agg(reason, total::text) FILTER (WHERE status = 'excluded'), '{}'::jsonb) AS by_reason
         FROM by_reason GROUP BY currency)
     SELECT currency::text AS currency,
            coalesce(b.total, 0)::numeric(18,4)::text AS billing_total,
            coalesce(l.attributed, 0)::numeric(18,4)::text AS attributed_total,
            coalesce(l.excluded, 0)::numeric(18,4)::text AS excluded_total,
            coalesce(l.by_reason, '{}'::jsonb) AS excluded_by_reason,
            (coalesce(b.total, 0) - coalesce(l.attributed, 0) - coalesce(l.excluded, 0))::numeric(18,4)::text AS variance
       FROM billing b FULL JOIN ledger l USING (currency)
      ORDER BY currency`,
    [key.modelVersion, book, ...period, key.basis],
  );
  return result.rows.map((r) => ({
    book, currency: r.currency, billingTotal: r.billing_total, attributedTotal: r.attributed_total,
    excludedTotal: r.excluded_total, excludedByReason: r.excluded_by_reason, variance: r.variance,
  }));
}

export async function readReconciliation(pool: pg.Pool, runId: string): Promise<ReconciliationRow[]> {
  const result = await pool.query<{ book: string; currency: string; billing_total: string; attributed_total: string; excluded_total: string; excluded_by_reason: Record<string, string>; variance: string }>(
    'SELECT * FROM run_reconciliations WHERE run_id = $1 ORDER BY book, currency',
    [runId],
  );
  return result.rows.map((r) => ({
    book: r.book, currency: r.currency, billingTotal: r.billing_total, attributedTotal: r.attributed_total,
    excludedTotal: r.excluded_total, excludedByReason: r.excluded_by_reason, variance: r.variance,
  }));
}

async function assertLinesSumToEntries(pool: pg.Pool, key: BookKey, period: Array<Date | null>): Promise<void> {
  const mismatched = await unbalancedEntries(pool, key, period[0] ?? null, period[1]!);
  if (mismatched.length > 0) {
    const shown = mismatched.map((r) => `  ${r.kind} ${r.transactionId}: entry ${r.amount}, lines ${r.lines ?? 'none'}`);
    throw inputFailure(ErrorType.InvariantViolated, `Ledger lines do not sum to their entry (model version ${key.modelVersion}, basis ${key.basis}, book ${key.book}):\n${shown.join('\n')}`);
  }
}
