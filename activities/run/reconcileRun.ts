// reconcileRun: per book and currency, the billing total of the period (all payments − all
// refunds, matched or not) against the ledger's attributed and excluded totals (docs/decisions.md, "Ledger and runs"). The
// invariant is attributed + excluded = billing exactly; a variance above 0.01 % fails the run
// loudly. It also asserts that every attributed entry's lines sum to its amount.
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';
import { analyzeLedger, reconcileBook, unbalancedEntries } from '../../store/ledger';
import type { BookKey } from '../../store/ledgerReads';
import { readReconciliation, recordReconciliation, type ReconciliationRow } from '../../store/runResults';
import { loadRun } from '../../store/runs';

export { readReconciliation, type ReconciliationRow } from '../../store/runResults';

/** Relative variance above which a run fails (0.01 %). */
export const MAX_RELATIVE_VARIANCE = new Decimal('0.0001');

export async function reconcileRun(pool: pg.Pool, input: { runId: string }): Promise<ReconciliationRow[]> {
  const run = await loadRun(pool, input.runId);
  const from = run.periodFrom === null ? null : new Date(run.periodFrom);
  const to = new Date(run.periodTo);
  // The shards have just written many rows; without fresh statistics the planner joins them with
  // nested loops (seconds instead of milliseconds). ANALYZE samples, so it stays cheap.
  await analyzeLedger(pool);
  // Each book reads its own part of the ledger, so the books are checked side by side, one
  // connection each. A broken book fails the run as the first one in the run's order of books,
  // whichever check finished first; the books before it are recorded.
  const checked = await Promise.allSettled(run.books.map(async (book) => {
    const key = { modelVersion: run.modelVersion, basis: run.basis, book };
    const reconciled = await reconcileBook(pool, key, from, to);
    if (reconciled.unbalancedEntries > 0) await failOnUnbalancedEntries(pool, key, from, to);
    return reconciled.rows;
  }));
  for (const [i, book] of run.books.entries()) {
    const outcome = checked[i]!;
    if (outcome.status === 'rejected') throw outcome.reason;
    await recordReconciliation(pool, run.runId, book, outcome.value);
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

/** Names the first few entries of a book whose lines do not sum to them, and fails the run. */
async function failOnUnbalancedEntries(pool: pg.Pool, key: BookKey, from: Date | null, to: Date): Promise<never> {
  const mismatched = await unbalancedEntries(pool, key, from, to);
  const shown = mismatched.map((r) => `  ${r.kind} ${r.transactionId}: entry ${r.amount}, lines ${r.lines ?? 'none'}`);
  throw inputFailure(ErrorType.InvariantViolated, `Ledger lines do not sum to their entry (model version ${key.modelVersion}, basis ${key.basis}, book ${key.book}):\n${shown.join('\n')}`);
}
