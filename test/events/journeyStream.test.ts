// The optional stream of non-converting journeys of the event shape: validated like events, and
// learned from by the data-driven books. Two customers pay (their events' touchpoints are their
// journeys), two never do (the stream). Worked by hand:
//   c1: calls, sms → conversion; c2: sms → conversion; c3: calls, sms → null; c4: calls → null.
//   start→calls 3, start→sms 1; calls→sms 2, calls→null 1; sms→conv 2, sms→null 1.
//   x_sms = 2/3, x_calls = 2/3·2/3 = 4/9, P = 3/4·4/9 + 1/4·2/3 = 1/2 (2 of 4 journeys convert).
//   Without calls: P = 1/4·2/3 = 1/6, effect 1 − (1/6)/(1/2) = 2/3. Without sms: P = 0, effect 1.
// Without the stream both journeys convert (P = 1): without calls only c2's path is left (1/2),
// effect 1/2; without sms nothing converts, effect 1. The summary says that every journey converts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { listEventFiles, loadEvents } from '../../activities/ingest/loadEvents';
import { modelVersion, parseRuleset } from '../../domain/ruleset';
import { writeRunReport } from '../../client/reports/runReport';
import { attributionRun, type AttributionRunInput, type AttributionRunResult } from '../../workflows/attributionRun';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { refusal } from '../helpers/refusal';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

const AS_OF = '2024-07-01T00:00:00.000Z';
const rulesetOf = (version: string) => `version: ${version}\nbooks:\n  markov: {}\ndefault_books: [markov]\nreport: { chosen: markov }\n`;
const touch = (productId: string, day: number) => ({ productId, interactionType: 'view', timestamp: `2024-05-0${day}T00:00:00Z` });
const event = (id: string, customerId: string, touchpoints: object[]) => JSON.stringify({
  transactionId: id, timestamp: '2024-05-10T00:00:00Z', customerId, grossAmount: '100.00', currency: 'USD',
  products: [{ productId: 'calls', quantity: 1, unitPrice: 100 }], touchpoints, source: 'invoice',
});

let db: TestDatabase;
let temporal: TestTemporal;
let worker: { worker: Worker; done: Promise<void> };

function write(dir: string, name: string, lines: string[]): string {
  fs.writeFileSync(path.join(dir, name), lines.join('\n') + '\n');
  return path.join(dir, name);
}
async function load(file: string) {
  const [listed] = await listEventFiles(file);
  return loadEvents(db.pool, { source: listed!.source, expectedLoadKey: listed!.loadKey });
}
/** Each run under a model version of its own, so that each writes its own ledger lines; reports as `run --out` writes them. */
async function run(suffix: string, outDir: string | null = null): Promise<AttributionRunResult> {
  const yaml = rulesetOf(`journeys-${suffix}`);
  const ruleset = parseRuleset(yaml, 'journeys.yaml');
  const input: AttributionRunInput = {
    kind: 'run', rulesetYaml: yaml, rulesetSource: 'journeys.yaml', modelVersion: modelVersion(ruleset), from: null, to: AS_OF, asOf: AS_OF, books: ['markov'],
  };
  const result = await temporal.client.workflow.execute(attributionRun, { workflowId: `journeys/${temporal.taskQueue}/${suffix}`, taskQueue: temporal.taskQueue, args: [input] });
  if (outDir) {
    await writeRunReport(db.pool, { modelVersion: result.modelVersion, basis: result.basis, from: null, to: AS_OF, asOf: AS_OF, books: input.books, outDir, runId: result.runId });
  }
  return result;
}
const effects = async (runId: string) => (await db.pool.query('SELECT channel, exact FROM run_markov_removal_effects WHERE run_id = $1 ORDER BY channel', [runId])).rows;

before(async () => {
  db = await createTestDatabase('journey_stream');
  temporal = await connectTestTemporal('journey-stream');
  worker = await temporal.startWorker(db.pool);
});
after(async () => {
  worker.worker.shutdown();
  await worker.done;
  await temporal.close();
  await db.drop();
});

describe('the journey stream', () => {
  it('without it every journey converts, and the summary says so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journeys-'));
    await load(write(dir, 'events.ndjson', [event('t1', 'c1', [touch('calls', 1), touch('sms', 2)]), event('t2', 'c2', [touch('sms', 1)])]));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'journeys-out-'));
    const result = await run('without', out);
    assert.deepEqual(await effects(result.runId), [{ channel: 'calls', exact: '1/2' }, { channel: 'sms', exact: '1' }]);
    assert.match(fs.readFileSync(path.join(out, 'analysis_summary.txt'), 'utf8'), /2 journeys: 2 converting, 0 not; .* Every journey converts/);
  });

  it('refuses a bad journey file whole, naming line and column', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journeys-'));
    const failure = await refusal(load(write(dir, 'journeys.ndjson', [
      JSON.stringify({ customerId: 'c3', touchpoints: [touch('calls', 1)] }),
      JSON.stringify({ customerId: 'c4', touchpoints: [{ ...touch('calls', 1), interactionType: 'hover' }], amount: 1 }),
      JSON.stringify({ customerId: 'c3', touchpoints: [] }),
    ])));
    assert.equal(failure.type, 'InvalidInputFile');
    assert.match(failure.message, /^journeys\.ndjson: 2 invalid journeys\. A journey file loads whole or not at all/);
    assert.match(failure.message, /journeys\.ndjson line 2, column amount: is not a field of a journey \(misspelt\?\)/);
    assert.match(failure.message, /journeys\.ndjson line 2, column touchpoints\[0\]\.interactionType: "hover" must be one of view, click/);
    assert.match(failure.message, /journeys\.ndjson line 3, column customerId: "c3" already has a journey on line 1 of this file/);
    assert.equal(Number((await db.pool.query('SELECT count(*) FROM journey_touchpoints')).rows[0].count), 0);
  });

  it('with it, the chain learns from the journeys that did not convert', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'journeys-'));
    const file = write(dir, 'journeys.ndjson', [
      JSON.stringify({ customerId: 'c3', touchpoints: [touch('calls', 1), touch('sms', 2)] }),
      JSON.stringify({ customerId: 'c4', touchpoints: [touch('calls', 3)] }),
    ]);
    assert.equal((await load(file)).status, 'loaded');
    assert.equal((await load(file)).status, 'unchanged');
    const result = await run('with');
    assert.deepEqual(await effects(result.runId), [{ channel: 'calls', exact: '2/3' }, { channel: 'sms', exact: '1' }]);
    const learned = await db.pool.query('SELECT journeys::int, converting::int, streamed_journeys::int FROM run_learned_models WHERE run_id = $1', [result.runId]);
    assert.deepEqual(learned.rows, [{ journeys: 4, converting: 2, streamed_journeys: 2 }]);
    // t1: calls 2/3, sms 1 → 40 : 60; t2: sms only.
    const lines = await db.pool.query("SELECT transaction_id || ' ' || channel || ' ' || amount AS line FROM ledger_lines WHERE run_id = $1 ORDER BY 1", [result.runId]);
    assert.deepEqual(lines.rows.map((r) => r.line), ['t1 calls 40.0000', 't1 sms 60.0000', 't2 sms 100.0000']);
  });
});
