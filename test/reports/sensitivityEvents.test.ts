// The sensitivity sweep on the event shape (examples/multi-product): products, touchpoints and
// bundles reach the books as in a run, so at the ruleset's own value the sweep equals the
// lifetime run's ledger to the last digit; a swept weight moves only the books that use it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { parse } from 'csv-parse/sync';
import { loadRulesetFile, planRun } from '../../client/commands/run';
import { writeSensitivityReport } from '../../client/reports/sensitivityReport';
import { PROJECT_ROOT } from '../../common/config';
import type { BookName } from '../../domain/books';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'multi-product');
const RULESET = path.join(EXAMPLE, 'ruleset.yaml');
const AS_OF = '2024-07-01T00:00:00.000Z';
const BOOKS = ['rules', 'weighted', 'pro_rata'];

let db: TestDatabase;
let temporal: TestTemporal;
let worker: { worker: Worker; done: Promise<void> };
let rows: Array<Record<string, string>>;
let modelVersion: string;

before(async () => {
  db = await createTestDatabase('sensitivity_events');
  temporal = await connectTestTemporal('sensitivity-events');
  worker = await temporal.startWorker(db.pool);
  const q = temporal.taskQueue;
  await temporal.client.workflow.execute('ingestEvents', { workflowId: `ingest-events-${q}`, taskQueue: q, args: [{ path: EXAMPLE }] });
  const { input, workflowId } = planRun({ ruleset: RULESET, asOf: AS_OF, books: BOOKS.join(',') }, 'run');
  modelVersion = input.modelVersion;
  await temporal.client.workflow.execute('attributionRun', { workflowId: `${workflowId}/${q}`, taskQueue: q, args: [input] });
  const loaded = loadRulesetFile(RULESET, BOOKS.join(','));
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sensitivity-events-'));
  await writeSensitivityReport(db.pool, {
    rulesetYaml: loaded.yaml, rulesetSource: loaded.source, param: 'weighted.weights.usage_spike', values: ['0.8', '0.2'],
    books: BOOKS as BookName[], asOf: AS_OF, outDir: out,
  });
  rows = parse(fs.readFileSync(path.join(out, 'sensitivity.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
});

after(async () => {
  worker.worker.shutdown();
  await worker.done;
  await temporal.close();
  await db.drop();
});

describe('sensitivity on the event shape', () => {
  it('at the ruleset\'s own value every book equals the ledger of the lifetime run', async () => {
    for (const book of BOOKS) {
      const ledger = await db.pool.query<{ row: string }>(
        `SELECT channel || '|' || currency || '|' || sum(amount)::text AS row FROM ledger_lines
          WHERE model_version = $1 AND book = $2 GROUP BY channel, currency HAVING sum(amount) <> 0 ORDER BY 1`,
        [modelVersion, book],
      );
      const swept = rows.filter((r) => r.book === book && r.value === '0.8' && r.revenue !== '0.0000').map((r) => `${r.channel}|${r.currency}|${r.revenue}`).sort();
      assert.deepEqual(swept, ledger.rows.map((r) => r.row), book);
    }
  });

  it('the weighted book moves; pro_rata and the rules (whose rule carries weights of its own) do not', () => {
    assert.equal(rows[0]!.param, 'books.weighted.weights.usage_spike');
    assert.ok(rows.some((r) => r.book === 'weighted' && r.swing_pct !== '0.00'), 'weighted swings');
    for (const book of ['pro_rata', 'rules']) assert.ok(rows.filter((r) => r.book === book).every((r) => r.swing_pct === '0.00'), book);
  });
});
