// The KrispCall analysis of examples/krispcall-small on a real Temporal dev server and Postgres:
// outputs byte for byte, idempotent re-runs, the append-only ledger, a reconciliation that
// cannot balance, and the lifetime consequence of docs/decisions.md, "Decisions".
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ActivityFailure, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import { Decimal } from 'decimal.js';
import { planRun, DEFAULT_RULESET } from '../../client/commands/run';
import { writeRunReport } from '../../client/reports/runReport';
import { PROJECT_ROOT } from '../../common/config';
import { SEARCH_ATTRIBUTES } from '../../common/temporalNames';
import type { AttributionRunResult } from '../../workflows/attributionRun';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { EXAMPLE_DIR } from '../helpers/datasets';
import { ledgerSnapshot, ledgerTotals } from '../helpers/ledger';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

const AS_OF = '2024-07-01T00:00:00.000Z';
const GOLDEN = path.join(PROJECT_ROOT, 'test', 'fixtures', 'krispcall-small');
const expected = JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, 'expected.json'), 'utf8')) as {
  books: Record<string, Array<{ channel: string; currency: string; revenue: string; accounts: number; transactions: number }>>;
  accounts: Record<string, { netByCurrency: Record<string, string>; weights: Record<string, Record<string, string>> }>;
};

let db: TestDatabase;
let temporal: TestTemporal;
let worker: { worker: Worker; done: Promise<void> };

before(async () => {
  db = await createTestDatabase('example_run');
  temporal = await connectTestTemporal('example-run');
  worker = await temporal.startWorker(db.pool);
  await temporal.client.workflow.execute('ingestDataset', { workflowId: `ingest-${temporal.taskQueue}`, taskQueue: temporal.taskQueue, args: [{ dir: EXAMPLE_DIR, maxRejects: null }] });
});
after(async () => {
  worker.worker.shutdown();
  await worker.done;
  await temporal.close();
  await db.drop();
});

/** The run as `attribution run --out` does it: the workflow, then the reports written here from the ledger. */
async function run(outDir: string | null, options: { ruleset?: string; suffix?: string } = {}): Promise<AttributionRunResult> {
  const plan = planRun({ ruleset: options.ruleset ?? DEFAULT_RULESET, asOf: AS_OF }, 'run');
  const result: AttributionRunResult = await temporal.client.workflow.execute('attributionRun', {
    workflowId: `${plan.workflowId}/${temporal.taskQueue}${options.suffix ?? ''}`,
    taskQueue: temporal.taskQueue,
    args: [plan.input],
  });
  if (outDir) {
    const { input } = plan;
    await writeRunReport(db.pool, { modelVersion: input.modelVersion, from: input.from, to: input.to, asOf: input.asOf, books: input.books, outDir, runId: result.runId });
  }
  return result;
}

/** The default ruleset under another version (a model version of its own), as a file. */
function rulesetVersion(version: string): string {
  const ruleset = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ruleset-')), `${version}.yaml`);
  fs.writeFileSync(ruleset, fs.readFileSync(DEFAULT_RULESET, 'utf8').replace('version: "krispcall-1"', `version: "${version}"`));
  return ruleset;
}

/** A run that must fail in an activity: the activity's failure, as the client sees it. */
async function failedRun(ruleset: string, suffix: string): Promise<ApplicationFailure> {
  const error = await run(null, { ruleset, suffix }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof WorkflowFailedError, 'the run should fail');
  assert.ok(error.cause instanceof ActivityFailure);
  assert.ok(error.cause.cause instanceof ApplicationFailure);
  return error.cause.cause;
}

describe('attributionRun on examples/krispcall-small', () => {
  it('writes the expected CSVs byte for byte, and they match the hand-computed expectations', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-out-'));
    const result = await run(out);
    for (const file of ['first_touch_attribution.csv', 'usage_based_attribution.csv', 'position_based_attribution.csv', 'chosen_attribution.csv']) {
      assert.equal(fs.readFileSync(path.join(out, file), 'utf8'), fs.readFileSync(path.join(GOLDEN, file), 'utf8'), file);
    }
    const files = { first_touch: 'first_touch_attribution.csv', usage_share: 'usage_based_attribution.csv', position_based: 'position_based_attribution.csv' };
    for (const [book, file] of Object.entries(files)) {
      const rows = fs.readFileSync(path.join(out, file), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const got = rows.map(([channel, currency, revenue, , accounts, transactions]) => `${channel}|${currency}|${revenue}|${accounts}|${transactions}`).sort();
      const want = expected.books[book]!.map((r) => `${r.channel}|${r.currency}|${r.revenue}|${r.accounts}|${r.transactions}`).sort();
      assert.deepEqual(got, want, book);
    }
    const summary = fs.readFileSync(path.join(out, 'analysis_summary.txt'), 'utf8');
    // Recommendations for every currency, not only the largest.
    assert.match(summary, /1\. Marketing & partnerships: focus acquisition on the first-touch winners — in EUR: salesforce \(100\.00 %\); in USD: hubspot \(37\.83 %\), salesforce \(27\.87 %\), pipedrive \(15\.19 %\)\./);
    assert.match(summary, /Excluded \(non_positive_net_revenue\): 5 transactions, -10\.0000\.\nAbout non_positive_net_revenue: /);
    for (const file of ['comparison.csv', 'report.html', 'manifest.json']) assert.ok(fs.existsSync(path.join(out, file)), file);
    assert.equal(fs.readFileSync(path.join(out, 'comparison.csv'), 'utf8'), fs.readFileSync(path.join(GOLDEN, 'comparison.csv'), 'utf8'));
    assert.match(summary, /\(no usage\) holds 94\.9900 USD \(2\.15 %\) from 2 accounts/);
    assert.deepEqual(
      result.reconciliation.filter((r) => r.book === 'position_based').map((r) => [r.currency, r.billingTotal, r.attributedTotal, r.excludedTotal, r.variance]),
      [['EUR', '40.0000', '40.0000', '0.0000', '0.0000'], ['USD', '4464.8200', '4414.8200', '50.0000', '0.0000']],
    );
    assert.deepEqual(result.reconciliation.find((r) => r.book === 'first_touch' && r.currency === 'USD')!.excludedByReason,
      { ambiguous_user: '30.0000', unmatched_user: '30.0000', non_positive_net_revenue: '-10.0000' });
  });

  it('`attribution report` rewrites the same outputs from the ledger alone', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-report-'));
    const plan = planRun({ ruleset: DEFAULT_RULESET, asOf: AS_OF }, 'run');
    await writeRunReport(db.pool, { modelVersion: plan.input.modelVersion, from: null, to: AS_OF, asOf: AS_OF, books: plan.input.books, outDir: out, runId: null });
    for (const file of ['first_touch_attribution.csv', 'usage_based_attribution.csv', 'chosen_attribution.csv']) {
      assert.equal(fs.readFileSync(path.join(out, file), 'utf8'), fs.readFileSync(path.join(GOLDEN, file), 'utf8'), file);
    }
    assert.match(fs.readFileSync(path.join(out, 'analysis_summary.txt'), 'utf8'), /position_based {2}USD {7}4464\.8200 {3}4414\.8200 {3}50\.0000 {4}0\.0000/);
  });

  it('the run is findable by its search attributes', async () => {
    const plan = planRun({ ruleset: DEFAULT_RULESET, asOf: AS_OF }, 'run');
    const description = await temporal.client.workflow.getHandle(`${plan.workflowId}/${temporal.taskQueue}`).describe();
    const get = (key: (typeof SEARCH_ATTRIBUTES)[keyof typeof SEARCH_ATTRIBUTES]) => description.typedSearchAttributes.get(key);
    assert.deepEqual(
      { kind: get(SEARCH_ATTRIBUTES.kind), period: get(SEARCH_ATTRIBUTES.period), model: get(SEARCH_ATTRIBUTES.modelVersion), status: get(SEARCH_ATTRIBUTES.status) },
      { kind: 'run', period: 'all..2024-07', model: plan.input.modelVersion, status: 'completed' },
    );
  });

  it('running the same run again leaves the ledger unchanged and reports no drift', async () => {
    const before = await ledgerSnapshot(db.pool);
    const totals = await ledgerTotals(db.pool);
    const again = await run(null);
    assert.deepEqual([again.progress.entriesWritten, again.progress.linesWritten, again.progress.drift], [0, 0, 0]);
    assert.deepEqual(await ledgerTotals(db.pool), totals);
    assert.deepEqual(await ledgerSnapshot(db.pool), before);
  });

  it('a lifetime run gives each account net revenue × weight share per channel, within the rounding of its transactions', async () => {
    const lines = await db.pool.query<{ book: string; account_id: string; currency: string; channel: string; amount: string; transactions: number }>(
      `SELECT book, account_id, currency::text AS currency, channel, sum(amount)::text AS amount, count(*)::int AS transactions
         FROM ledger_lines GROUP BY book, account_id, currency, channel`,
    );
    let checked = 0;
    for (const [accountId, account] of Object.entries(expected.accounts)) {
      for (const [currency, net] of Object.entries(account.netByCurrency)) {
        if (new Decimal(net).lte(0)) continue;
        for (const [book, weights] of Object.entries(account.weights)) {
          const total = Object.values(weights).reduce((s, w) => s.plus(w), new Decimal(0));
          for (const [channel, weight] of Object.entries(weights)) {
            const row = lines.rows.find((r) => r.book === book && r.account_id === accountId && r.currency === currency && r.channel === channel);
            const want = new Decimal(net).mul(weight).div(total);
            const got = new Decimal(row?.amount ?? 0);
            const tolerance = new Decimal(row?.transactions ?? 1).mul('0.0001');
            assert.ok(got.minus(want).abs().lte(tolerance), `${book} ${accountId} ${currency} ${channel}: ${got} vs ${want.toFixed(6)}`);
            checked += 1;
          }
        }
      }
    }
    assert.ok(checked > 60, `checked ${checked} (account, book, channel) triples`);
  });

  it('the ledger is append-only: updates and deletes are refused by the database', async () => {
    await assert.rejects(db.pool.query(`UPDATE ledger_lines SET amount = amount + 1 WHERE channel = 'hubspot'`), /append-only: UPDATE on ledger_lines/);
    await assert.rejects(db.pool.query('DELETE FROM ledger_entries'), /append-only: DELETE on ledger_entries/);
    // The views' raw tables (db/migrations/022_ledger_inline_lines.sql) refuse a truncate; the views have none.
    await assert.rejects(db.pool.query('TRUNCATE ledger_entry_rows'), /append-only/);
    await assert.rejects(db.pool.query('TRUNCATE ledger_runs'), /append-only/);
    // The lines live in their entry's row (db/migrations/022_ledger_inline_lines.sql): changing one is refused.
    await assert.rejects(db.pool.query(`UPDATE ledger_entry_rows SET line_units = array_replace(line_units, line_units[1], line_units[1] + 1) WHERE status = 'a'`),
      /append-only: UPDATE on ledger_entry_rows/);
    // Even under the setting the lines trigger uses: only adding a line is let through, not changing one.
    const client = await db.pool.connect();
    try {
      await client.query("BEGIN; SET LOCAL ledger.appending_line = 'on'");
      await assert.rejects(client.query(`UPDATE ledger_entry_rows SET line_units = array_replace(line_units, line_units[1], line_units[1] + 1) WHERE status = 'a'`),
        /append-only: UPDATE on ledger_entry_rows/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('a run whose reconciliation cannot balance fails loudly, naming the book, currency and variance', async () => {
    // A ruleset edit gives a new model version; a stray entry for a transaction billing does not know breaks its balance.
    const ruleset = rulesetVersion('krispcall-tampered');
    const plan = planRun({ ruleset, asOf: AS_OF }, 'run');
    await db.pool.query(
      `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
       VALUES ($1, $2, 'usage_share', 'payment', 'not-in-billing', NULL, 'nobody', 'USD', 999.0000, '2024-03-01T00:00:00Z', 'excluded', 'tampered', 'manual')`,
      [plan.input.modelVersion, `as_of:${new Date(AS_OF).toISOString()}`],
    );
    const failure = await failedRun(ruleset, '-tampered');
    assert.equal(failure.type, 'ReconciliationFailed');
    assert.match(failure.message, /Reconciliation failed for run .* \(model version krispcall-tampered#[0-9a-f]{8}\)/);
    assert.match(failure.message, /usage_share USD: billing 4464\.8200, attributed 4414\.8200 \+ excluded 1049\.0000 = 5463\.8200; variance -999\.0000/);
  });

  it('a ledger entry whose lines do not sum to it fails the run, naming the first such book in the run\'s order', async () => {
    // The books are checked side by side (activities/run/reconcileRun.ts); two are broken here, and
    // the one reported is the first of the run's books, whichever check ends first.
    const ruleset = rulesetVersion('krispcall-unbalanced');
    const plan = planRun({ ruleset, asOf: AS_OF }, 'run');
    const basis = `as_of:${new Date(AS_OF).toISOString()}`;
    for (const book of ['position_based', 'usage_share']) {
      const entry = [plan.input.modelVersion, basis, book, `unbalanced-${book}`];
      await db.pool.query(
        `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
         VALUES ($1, $2, $3, 'payment', $4, NULL, 'nobody', 'USD', 10.0000, '2024-03-01T00:00:00Z', 'attributed', 'attributed', 'manual')`, entry);
      await db.pool.query(
        `INSERT INTO ledger_lines (model_version, basis, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id)
         VALUES ($1, $2, $3, 'payment', $4, 'zapier', 4.0000, 'USD', NULL, '2024-03-01T00:00:00Z', 'manual')`, entry);
    }
    const failure = await failedRun(ruleset, '-unbalanced');
    assert.equal(failure.type, 'InvariantViolated');
    assert.match(failure.message, /^Ledger lines do not sum to their entry \(model version krispcall-unbalanced#[0-9a-f]{8}, basis as_of:2024-07-01T00:00:00\.000Z, book usage_share\):\n {2}payment unbalanced-usage_share: entry 10\.0000, lines 4\.0000$/);
  });
});
