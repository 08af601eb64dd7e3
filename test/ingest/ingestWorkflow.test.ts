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
});
