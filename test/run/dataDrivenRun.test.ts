// The data-driven books end to end on a real Temporal dev server and Postgres: the worked chain
// of test/domain/dataDriven.test.ts as a CSV dataset (hubspot = A, zapier = B, slack = C), with
// three accounts that never paid. The removal effects are learned once per run from every
// journey and stored; the ledger, the exports and the summary follow from them; a run with
// another shard count decides every transaction the same way (drift 0).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { modelVersion, parseRuleset } from '../../domain/ruleset';
import { writeRunReport } from '../../client/reports/runReport';
import { attributionRun, type AttributionRunInput, type AttributionRunResult } from '../../workflows/attributionRun';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { csv, datasetDir } from '../helpers/datasets';
import { ledgerSnapshot } from '../helpers/ledger';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

const AS_OF = '2024-07-01T00:00:00.000Z';
const RULESET_YAML = `version: data-driven-test
books:
  markov: {}
  shapley: {}
  time_decay: { half_life_days: 7 }
default_books: [markov, shapley, time_decay]
report: { chosen: markov }
`;

const DATASET = {
  'workspaces.csv': csv('workspace_id,owner_id,member_ids', 'w1,o1,', 'w2,o2,', 'w3,o3,', 'w4,o4,', 'w5,o5,'),
  'payments.csv': csv('payment_id,user_id,amount,currency,paid_at', 'p1,o1,100.0000,USD,2024-01-01T00:00:00Z', 'p3,o3,50.0000,USD,2024-01-01T00:00:00Z'),
  'refunds.csv': csv('refund_id,user_id,amount,currency,refunded_at,payment_id'),
  'integrations.csv': csv(
    'event_id,user_id,platform,action,occurred_at',
    'i1,o1,hubspot,connected,2024-01-02T00:00:00Z', 'i2,o1,zapier,connected,2024-01-03T00:00:00Z',
    'i3,o2,hubspot,connected,2024-01-02T00:00:00Z', 'i4,o2,slack,connected,2024-01-03T00:00:00Z',
    'i5,o3,zapier,connected,2024-01-02T00:00:00Z',
    'i6,o4,slack,connected,2024-01-02T00:00:00Z',
    'i7,o5,hubspot,connected,2024-01-02T00:00:00Z', 'i8,o5,zapier,connected,2024-01-03T00:00:00Z', 'i9,o5,hubspot,connected,2024-01-04T00:00:00Z',
  ),
  'calls.csv': csv('call_id,user_id,platform,started_at,duration'),
  'sms.csv': csv('sms_id,user_id,platform,sent_at,segments'),
};

let db: TestDatabase;
let temporal: TestTemporal;
let worker: { worker: Worker; done: Promise<void> };

before(async () => {
  db = await createTestDatabase('data_driven_run');
  temporal = await connectTestTemporal('data-driven-run');
  worker = await temporal.startWorker(db.pool);
  await temporal.client.workflow.execute('ingestDataset', {
    workflowId: `ingest-${temporal.taskQueue}`, taskQueue: temporal.taskQueue, args: [{ dir: datasetDir(DATASET), maxRejects: null }],
  });
});
after(async () => {
  worker.worker.shutdown();
  await worker.done;
  await temporal.close();
  await db.drop();
});

/** A run as `attribution run --out` makes it: the workflow, then the reports from the ledger in this process. */
async function run(suffix: string, options: Partial<AttributionRunInput> & { outDir?: string } = {}): Promise<AttributionRunResult> {
  const ruleset = parseRuleset(RULESET_YAML, 'data-driven.yaml');
  const { outDir, ...rest } = options;
  const input: AttributionRunInput = {
    kind: 'run', rulesetYaml: RULESET_YAML, rulesetSource: 'data-driven.yaml', modelVersion: modelVersion(ruleset),
    from: null, to: AS_OF, asOf: AS_OF, books: ruleset.default_books, ...rest,
  };
  const result = await temporal.client.workflow.execute(attributionRun, { workflowId: `data-driven/${temporal.taskQueue}/${suffix}`, taskQueue: temporal.taskQueue, args: [input] });
  if (outDir) {
    await writeRunReport(db.pool, { modelVersion: result.modelVersion, basis: result.basis, from: null, to: AS_OF, asOf: AS_OF, books: input.books, outDir, runId: result.runId });
  }
  return result;
}

const linesOf = async (book: string) => (await db.pool.query<{ row: string }>(
  `SELECT transaction_id || ' ' || channel || ' ' || amount AS row FROM ledger_lines WHERE book = $1 ORDER BY 1`, [book],
)).rows.map((r) => r.row);

describe('data-driven books in a run', () => {
  it('learns the removal effects and coalitions once, from paying and never-paying accounts, and attributes by them', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-dd-'));
    const result = await run('first', { outDir: out });
    const learned = await db.pool.query('SELECT journeys::int, converting::int, without_channels::int, conversion_probability FROM run_learned_models WHERE run_id = $1', [result.runId]);
    assert.deepEqual(learned.rows, [{ journeys: 5, converting: 2, without_channels: 0, conversion_probability: '2/5' }]);
    const effects = await db.pool.query('SELECT channel, exact, conversions::int FROM run_markov_removal_effects WHERE run_id = $1 ORDER BY channel', [result.runId]);
    assert.deepEqual(effects.rows, [
      { channel: 'hubspot', exact: '2/3', conversions: 1 }, { channel: 'slack', exact: '0', conversions: 0 }, { channel: 'zapier', exact: '1', conversions: 2 },
    ]);

    // Markov: p1 (hubspot, zapier) 2/3 : 1 → 40 : 60; p3 (zapier) all.
    assert.deepEqual(await linesOf('markov'), ['p1 hubspot 40.0000', 'p1 zapier 60.0000', 'p3 zapier 50.0000']);
    // Shapley on {hubspot, zapier}: v = 1/2 (o1 converts, o5 does not), v({zapier}) = 1, v({hubspot}) = 0:
    // φ_hubspot = 1/2·0 + 1/2·(1/2 − 1) = −1/4 → 0, φ_zapier = 1/2·1 + 1/2·(1/2 − 0) = 3/4: zapier gets p1.
    assert.deepEqual(await linesOf('shapley'), ['p1 zapier 100.0000', 'p3 zapier 50.0000']);
    // Time decay, half-life 7: 2^(−1/7) : 2^(−2/7) of 100 = 52.47350… : 47.52649… (Python's decimal at 40 digits).
    assert.deepEqual(await linesOf('time_decay'), ['p1 hubspot 52.4735', 'p1 zapier 47.5265', 'p3 zapier 50.0000']);
    for (const r of result.reconciliation) assert.equal(r.variance, '0.0000', `${r.book} ${r.currency}`);

    assert.equal(fs.readFileSync(path.join(out, 'markov_removal_effects.csv'), 'utf8'), [
      'channel,removal_effect,conversions',
      'hubspot,0.666666666666666666666666666666,1',
      'slack,0.000000000000000000000000000000,0',
      'zapier,1.000000000000000000000000000000,2', '',
    ].join('\n'));
    const shapley = fs.readFileSync(path.join(out, 'shapley_values.csv'), 'utf8').split('\n');
    assert.equal(shapley[0], 'coalition,journeys,conversion_rate,hubspot,slack,zapier');
    assert.ok(shapley.includes('hubspot + zapier,2,0.500000000000000000000000000000,-0.250000000000000000000000000000,,0.750000000000000000000000000000'), shapley.join('\n'));
    for (const file of ['markov_attribution.csv', 'shapley_attribution.csv', 'time_decay_attribution.csv']) assert.ok(fs.existsSync(path.join(out, file)), file);
    const summary = fs.readFileSync(path.join(out, 'analysis_summary.txt'), 'utf8');
    assert.match(summary, /The data-driven books learned from 5 journeys: 2 converting, 3 not; 0 without a channel take no part\./);
    assert.match(summary, /- Markov \(order 1\): each channel of the path weighs its removal effect/);
  });

  it('decides every transaction the same way with a shard per account instead of one shard (drift 0, same ledger)', async () => {
    const before = await ledgerSnapshot(db.pool);
    const again = await run('five-shards', { accountsPerShard: 1 });
    assert.equal(again.progress.shardCount, 2); // accounts with a transaction: o1 and o3
    assert.equal(again.progress.drift, 0);
    assert.equal(again.progress.linesWritten, 0);
    assert.deepEqual(await ledgerSnapshot(db.pool), before);
  });
});
