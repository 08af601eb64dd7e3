// examples/multi-product end to end on a real Temporal dev server and Postgres: events ingested
// (one of them delivered twice), the seed's rules, bundles and refund cascades, every amount
// hand-computed (examples/multi-product/README.md), and a ruleset whose rules leave transactions
// unmatched, which the reconciliation shows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { planRun } from '../../client/commands/run';
import { writeRunReport } from '../../client/reports/runReport';
import { PROJECT_ROOT } from '../../common/config';
import type { AttributionRunResult } from '../../workflows/attributionRun';
import type { IngestEventsResult } from '../../workflows/ingestEvents';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'multi-product');
const AS_OF = '2024-07-01T00:00:00.000Z';

let db: TestDatabase;
let temporal: TestTemporal;
let worker: { worker: Worker; done: Promise<void> };
let ingested: IngestEventsResult;

before(async () => {
  db = await createTestDatabase('multi_product');
  temporal = await connectTestTemporal('multi-product');
  worker = await temporal.startWorker(db.pool);
  ingested = await temporal.client.workflow.execute('ingestEvents', { workflowId: `ingest-events-${temporal.taskQueue}`, taskQueue: temporal.taskQueue, args: [{ path: EXAMPLE }] });
});
after(async () => {
  worker.worker.shutdown();
  await worker.done;
  await temporal.close();
  await db.drop();
});

/** The run as `attribution run --out` does it: the workflow, then the reports written here from the ledger. */
async function run(ruleset: string, out: string | null = null, books?: string, period: { from?: string; to?: string } = {}): Promise<AttributionRunResult> {
  const { input, workflowId } = planRun({ ruleset, asOf: period.to ?? AS_OF, books, ...period }, 'run');
  const result: AttributionRunResult = await temporal.client.workflow.execute('attributionRun', { workflowId: `${workflowId}/${temporal.taskQueue}`, taskQueue: temporal.taskQueue, args: [input] });
  if (out) await writeRunReport(db.pool, { modelVersion: input.modelVersion, from: input.from, to: input.to, asOf: input.asOf, books: input.books, outDir: out, runId: result.runId });
  return result;
}

/** Σ lines per channel|currency of one book, as `channel|currency|amount`. */
async function totals(modelVersion: string, book: string): Promise<string[]> {
  const rows = await db.pool.query<{ row: string }>(
    `SELECT channel || '|' || currency || '|' || sum(amount)::text AS row FROM ledger_lines
      WHERE model_version = $1 AND book = $2 GROUP BY channel, currency ORDER BY channel, currency`,
    [modelVersion, book],
  );
  return rows.rows.map((r) => r.row);
}

async function linesOf(modelVersion: string, book: string, transactionId: string): Promise<string[]> {
  const rows = await db.pool.query<{ row: string }>(
    `SELECT channel || '=' || amount::text AS row FROM ledger_lines WHERE model_version = $1 AND book = $2 AND transaction_id = $3 ORDER BY channel`,
    [modelVersion, book, transactionId],
  );
  return rows.rows.map((r) => r.row);
}

describe('examples/multi-product', () => {
  it('ingests both files: the retried tx-001 is a duplicate, loaded once', () => {
    assert.deepEqual(ingested.files.map((f) => [f.fileName, f.rowsRead, f.rowsLoaded, f.rowsDuplicate]), [
      ['events.ndjson', 11, 11, 0],
      ['events.retry.ndjson', 1, 0, 1],
    ]);
  });

  it('rules, weighted and pro_rata give the hand-computed lines, and reconcile exactly', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'multi-product-'));
    const result = await run(path.join(EXAMPLE, 'ruleset.yaml'), out);
    const mv = result.modelVersion;
    assert.match(mv, /^multi-product-1#[0-9a-f]{8}$/);

    assert.deepEqual(await totals(mv, 'rules'), [
      '(no integration)|USD|110.0000', 'analytics|EUR|50.0000', 'analytics|USD|35.5555', 'calls|USD|150.0000', 'crm|USD|454.4445', 'sms|USD|240.0000',
    ]);
    assert.deepEqual(await totals(mv, 'weighted'), [
      '(no integration)|USD|110.0000', 'analytics|EUR|38.4615', 'analytics|USD|35.5555', 'calls|USD|0.0000', 'crm|EUR|11.5385', 'crm|USD|754.4445', 'sms|USD|90.0000',
    ]);
    assert.deepEqual(await totals(mv, 'pro_rata'), [
      'analytics|EUR|50.0000', 'analytics|USD|12.0000', 'calls|USD|150.0000', 'crm|USD|678.0000', 'sms|USD|150.0000',
    ]);

    // Per transaction: the bundle expansion, the weighted split with its leftover unit, the cascades.
    assert.deepEqual(await linesOf(mv, 'rules', 'tx-001'), ['calls=200.0000', 'crm=600.0000', 'sms=200.0000']);
    assert.deepEqual(await linesOf(mv, 'rules', 'tx-002'), ['analytics=27.2727', 'calls=218.1818', 'sms=54.5455']);
    assert.deepEqual(await linesOf(mv, 'rules', 'tx-004'), ['calls=-50.0000', 'crm=-150.0000', 'sms=-50.0000']);
    assert.deepEqual(await linesOf(mv, 'rules', 'tx-005'), ['analytics=-27.2727', 'calls=-218.1818', 'sms=-54.5455']);
    assert.deepEqual(await linesOf(mv, 'rules', 'tx-008'), ['analytics=-26.6667', 'crm=-3.3333']);
    assert.deepEqual(await linesOf(mv, 'rules', 'tx-009'), ['analytics=-26.6667', 'crm=-3.3333']);
    assert.deepEqual(await linesOf(mv, 'pro_rata', 'tx-009'), ['analytics=-9.0000', 'crm=-21.0000']);
    assert.deepEqual(await linesOf(mv, 'pro_rata', 'tx-010'), ['crm=90.0000'], 'the zero-priced add-on gets no line');

    const entries = await db.pool.query<{ transaction_id: string; reason: string; rule_name: string | null }>(
      "SELECT transaction_id, reason, rule_name FROM ledger_entries WHERE model_version = $1 AND book = 'rules' ORDER BY transaction_id", [mv],
    );
    assert.deepEqual(entries.rows.map((e) => `${e.transaction_id} ${e.reason} ${e.rule_name}`), [
      'tx-001 attributed Enterprise Bundle',
      'tx-002 attributed Usage-Driven Upsell',
      'tx-003 attributed Fallback',
      'tx-004 refund_of_payment Enterprise Bundle',
      'tx-005 refund_of_payment Usage-Driven Upsell',
      'tx-006 attributed Fallback',
      'tx-007 attributed Usage-Driven Upsell',
      'tx-008 refund_of_payment Usage-Driven Upsell',
      'tx-009 refund_of_payment Usage-Driven Upsell',
      'tx-010 attributed Fallback',
      'tx-011 refund_by_account_weights Fallback',
    ]);

    for (const book of ['rules', 'weighted', 'pro_rata']) {
      assert.deepEqual(
        result.reconciliation.filter((r) => r.book === book).map((r) => [r.currency, r.billingTotal, r.attributedTotal, r.excludedTotal, r.variance]),
        [['EUR', '50.0000', '50.0000', '0.0000', '0.0000'], ['USD', '990.0000', '990.0000', '0.0000', '0.0000']],
        book,
      );
    }
    const chosen = fs.readFileSync(path.join(out, 'chosen_attribution.csv'), 'utf8');
    assert.match(chosen, /^crm,USD,454\.4445,45\.90,2,5$/m);
    const summary = fs.readFileSync(path.join(out, 'analysis_summary.txt'), 'utf8');
    assert.match(summary, /- Rules, first match by priority: "Enterprise Bundle" \(100\) → pro_rata; "Usage-Driven Upsell" \(50\) → weighted; "Fallback" \(0\) → last_touch; no match → excluded \(no_rule_matched\)\./);
    assert.match(summary, /- Pro rata: each product line weighs unit price × quantity; bundles \(ent-bundle-v2, voice-suite\) split into their components by weight\./);
  });

  it('transactions that no rule matches are excluded with no_rule_matched, visible in the reconciliation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multi-product-rules-'));
    fs.copyFileSync(path.join(EXAMPLE, 'bundles.yaml'), path.join(dir, 'bundles.yaml'));
    const yaml = fs.readFileSync(path.join(EXAMPLE, 'ruleset.yaml'), 'utf8')
      .replace('version: "multi-product-1"', 'version: "multi-product-no-fallback"')
      .replace(/\n {6}- name: "Fallback"[\s\S]*?model: "last_touch"\n/, '\n');
    assert.doesNotMatch(yaml, /Fallback/);
    fs.writeFileSync(path.join(dir, 'ruleset.yaml'), yaml);
    const result = await run(path.join(dir, 'ruleset.yaml'), null, 'rules');
    const usd = result.reconciliation.find((r) => r.book === 'rules' && r.currency === 'USD')!;
    // tx-006 (120) and tx-010 (90) match no rule; epsilon's refund tx-011 then has no attributed payment.
    assert.deepEqual([usd.billingTotal, usd.attributedTotal, usd.excludedTotal], ['990.0000', '790.0000', '200.0000']);
    assert.deepEqual(usd.excludedByReason, { no_rule_matched: '210.0000', no_attributed_payment: '-10.0000' });
    const eur = result.reconciliation.find((r) => r.book === 'rules' && r.currency === 'EUR')!;
    assert.deepEqual([eur.attributedTotal, eur.excludedByReason], ['0.0000', { no_rule_matched: '50.0000' }]);
  });
  it('refunds of one payment in different runs reverse what the earlier runs left, and re-running a period drifts nothing', async () => {
    // zeta pays 10.0000 for three equally weighted touchpoints (a 3.3334, b 3.3333, c 3.3333) in April,
    // and is refunded 5 in May and 5 in June (two monthly runs: refunds cascade within one basis). The first refund splits by the payment's
    // lines (a −1.6667, b −1.6667 by name, c −1.6666); the second by what is left (a 1.6667,
    // b 1.6666, c 1.6667), so every channel ends at exactly zero. Split by the payment's lines
    // again, b would end at −0.0001 and c at +0.0001.
    const touch = (c: string) => ({ productId: c, interactionType: 'view', timestamp: '2024-04-01T00:00:00Z' });
    const zeta = (id: string, at: string, amount: string, extra: object) => JSON.stringify({ transactionId: id, timestamp: at, customerId: 'cust-zeta', grossAmount: amount, currency: 'USD', products: [], ...extra });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'multi-product-periods-'));
    fs.writeFileSync(path.join(dir, 'zeta.ndjson'), [
      zeta('tx-100', '2024-04-10T00:00:00Z', '10', { touchpoints: ['a', 'b', 'c'].map(touch), source: 'invoice' }),
      zeta('tx-101', '2024-05-05T00:00:00Z', '5', { source: 'refund', refundOf: 'tx-100' }),
      zeta('tx-102', '2024-06-20T00:00:00Z', '5', { source: 'refund', refundOf: 'tx-100' }),
      zeta('tx-103', '2024-06-25T00:00:00Z', '1', { touchpoints: [touch('a')], source: 'invoice' }),
    ].join('\n'));
    await temporal.client.workflow.execute('ingestEvents', { workflowId: `ingest-zeta-${temporal.taskQueue}`, taskQueue: temporal.taskQueue, args: [{ path: dir }] });
    fs.copyFileSync(path.join(EXAMPLE, 'bundles.yaml'), path.join(dir, 'bundles.yaml'));
    fs.writeFileSync(path.join(dir, 'ruleset.yaml'), fs.readFileSync(path.join(EXAMPLE, 'ruleset.yaml'), 'utf8').replace('version: "multi-product-1"', 'version: "multi-product-periods"'));
    const ruleset = path.join(dir, 'ruleset.yaml');

    const cuts = ['2024-04-01T00:00:00.000Z', '2024-05-01T00:00:00.000Z', '2024-06-01T00:00:00.000Z', AS_OF];
    let mv = '';
    for (let i = 0; i < 3; i++) {
      const result = await run(ruleset, null, 'weighted', { from: cuts[i], to: cuts[i + 1] });
      mv = result.modelVersion;
      assert.equal(result.progress.drift, 0);
    }
    assert.deepEqual(await linesOf(mv, 'weighted', 'tx-100'), ['a=3.3334', 'b=3.3333', 'c=3.3333']);
    assert.deepEqual(await linesOf(mv, 'weighted', 'tx-101'), ['a=-1.6667', 'b=-1.6667', 'c=-1.6666']);
    assert.deepEqual(await linesOf(mv, 'weighted', 'tx-102'), ['a=-1.6667', 'b=-1.6666', 'c=-1.6667']);
    const zetaNet = await db.pool.query<{ row: string }>(
      `SELECT channel || '=' || sum(amount)::text AS row FROM ledger_lines WHERE model_version = $1 AND book = 'weighted' AND transaction_id IN ('tx-100', 'tx-101', 'tx-102')
        GROUP BY channel ORDER BY channel`, [mv]);
    assert.deepEqual(zetaNet.rows.map((r) => r.row), ['a=0.0000', 'b=0.0000', 'c=0.0000']);
    // The example's own cascades come out as in the lifetime run.
    assert.deepEqual(await linesOf(mv, 'weighted', 'tx-009'), ['analytics=-26.6667', 'crm=-3.3333']);

    // Running the third period again recomputes the same split from the ledger: nothing new, no drift.
    const again = await temporal.client.workflow.execute('attributionRun', {
      workflowId: `again-${temporal.taskQueue}`, taskQueue: temporal.taskQueue,
      args: [planRun({ ruleset, from: cuts[2], to: cuts[3], asOf: cuts[3], books: 'weighted' }, 'run').input],
    });
    assert.deepEqual([again.progress.drift, again.progress.linesWritten], [0, 0]);
  });
});
