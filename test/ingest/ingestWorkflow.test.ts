// The ingest workflow on a real Temporal dev server and Postgres.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import type { IngestDatasetResult } from '../../workflows/ingestDataset';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { EXAMPLE_DIR, datasetDir } from '../helpers/datasets';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

let db: TestDatabase;
let temporal: TestTemporal;
let worker: { worker: Worker; done: Promise<void> };

before(async () => {
  db = await createTestDatabase('ingest_wf');
  temporal = await connectTestTemporal('ingest');
  worker = await temporal.startWorker(db.pool);
});
after(async () => {
  worker.worker.shutdown();
  await worker.done;
  await temporal.close();
  await db.drop();
});

const expected = JSON.parse(fs.readFileSync(path.join(EXAMPLE_DIR, 'expected.json'), 'utf8')) as { rowCounts: Record<string, number> };

function ingest(dir: string, maxRejects: number | null = null, id = `ingest-${path.basename(dir)}-${Date.now()}`): Promise<IngestDatasetResult> {
  return temporal.client.workflow.execute('ingestDataset', { workflowId: id, taskQueue: temporal.taskQueue, args: [{ dir, maxRejects }] });
}

async function tableCounts(): Promise<Record<string, number>> {
  const q = async (table: string) => Number((await db.pool.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
  return {
    workspaces: await q('workspaces'), payments: await q('payments'), refunds: await q('refunds'),
    integrations: await q('integration_events'), calls: await q('calls'), sms: await q('sms'),
  };
}

describe('ingestDataset workflow', () => {
  it('loads the example dataset with the expected row counts, and a second ingest is a no-op', async () => {
    const first = await ingest(EXAMPLE_DIR);
    assert.deepEqual(await tableCounts(), expected.rowCounts);
    assert.ok(first.files.every((f) => f.status === 'loaded' && f.rowsRejected === 0));
    assert.equal(first.files.length, 6);

    const files = Number((await db.pool.query('SELECT count(*) FROM ingested_files')).rows[0].count);
    const second = await ingest(EXAMPLE_DIR);
    assert.deepEqual(second.files.map((f) => f.status), ['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    assert.deepEqual(await tableCounts(), expected.rowCounts);
    assert.equal(Number((await db.pool.query('SELECT count(*) FROM ingested_files')).rows[0].count), files);
  });

  it('a refused billing file fails the workflow with the whole chain typed, other files still load', async () => {
    const dir = datasetDir({
      'payments.csv': 'payment_id,user_id,amount,currency,paid_at\nwf-p1,u1,1.00001,USD,2024-01-01T00:00:00Z\n',
      'sms.csv': 'sms_id,user_id,platform,sent_at,segments\nwf-s1,u1,web,2024-01-01T00:00:00Z,1\n',
    });
    try {
      await ingest(dir);
      assert.fail('expected the workflow to fail');
    } catch (error) {
      assert.ok(error instanceof WorkflowFailedError);
      assert.ok(error.cause instanceof ApplicationFailure);
      assert.equal(error.cause.type, 'IngestRejected');
      assert.match(error.cause.message, /payments\.csv line 2, column amount: "1\.00001" has 5 decimal places/);
    }
    assert.equal(Number((await db.pool.query(`SELECT count(*) FROM payments WHERE payment_id = 'wf-p1'`)).rows[0].count), 0);
    assert.equal(Number((await db.pool.query(`SELECT count(*) FROM sms WHERE sms_id = 'wf-s1'`)).rows[0].count), 1);
  });

  it('a dataset that names /etc/passwd or links to /dev/zero fails at once, typed, and nothing of those files reaches the history', async () => {
    const cases: Array<{ files: Record<string, string>; link?: [string, string]; type: string; message: RegExp }> = [
      { files: { 'dataset.yaml': 'files:\n  payments: ../../../../../../etc/passwd\n' }, type: 'InvalidDataset', message: /files\.payments: "\.\.\/.*passwd" climbs out of the directory/ },
      { files: {}, link: ['payments.csv', '/etc/passwd'], type: 'InvalidDataset', message: /"payments\.csv" is a symbolic link that leads outside the directory/ },
      { files: {}, link: ['calls.csv', '/dev/zero'], type: 'InvalidDataset', message: /"calls\.csv" is a symbolic link that leads outside the directory/ },
    ];
    for (const c of cases) {
      const dir = datasetDir({ 'sms.csv': 'sms_id,user_id,platform,sent_at,segments\n', ...c.files });
      if (c.link) fs.symlinkSync(c.link[1], path.join(dir, c.link[0]));
      const id = `ingest-outside-${path.basename(dir)}`;
      const started = Date.now();
      const error = await ingest(dir, null, id).then(() => assert.fail('expected the workflow to fail'), (e: unknown) => e);
      assert.ok(Date.now() - started < 20_000, 'refused at once, not retried and not hung');
      assert.ok(error instanceof WorkflowFailedError);
      const failure = error.cause?.cause ?? error.cause;
      assert.ok(failure instanceof ApplicationFailure);
      assert.equal(failure.type, c.type);
      assert.equal(failure.nonRetryable, true);
      assert.match(failure.message, c.message);
      const history = JSON.stringify(await temporal.client.workflow.getHandle(id).fetchHistory());
      // Failure messages are plain text in the history: the refusal is there, nothing of the file is.
      assert.match(history, /leads outside the directory|climbs out of the directory/);
      assert.doesNotMatch(history, /root:|nologin|\/bin\/(ba)?sh/);
    }
  });
});

