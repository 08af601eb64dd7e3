// `npm run record-histories`: runs each workflow once on a throwaway stack and saves its event
// history to test/fixtures/histories/. test/workflowReplay.test.ts replays them against the
// current workflow code, so a change that would break running workflows (non-determinism) fails
// CI. Re-record only for an intended, patched() change, and commit the new files.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { backfillInput } from '../client/commands/ops';
import { DEFAULT_RULESET, planRun } from '../client/commands/run';
import { scheduleOptions } from '../client/commands/schedule';
import { PROJECT_ROOT } from '../common/config';
import { withThrowawayStack } from './throwawayStack';

const OUT = path.join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'krispcall-small');
const EVENTS_EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'multi-product');

await withThrowawayStack(async (stack) => {
  Object.assign(process.env, { DATABASE_URL: stack.databaseUrl, TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: stack.namespace });
  const { createTestDatabase } = await import('../test/helpers/database');
  const { connectTestTemporal } = await import('../test/helpers/temporal');
  const db = await createTestDatabase('record');
  const temporal = await connectTestTemporal('record');
  const worker = await temporal.startWorker(db.pool);
  const q = temporal.taskQueue;
  // The Temporal CLI writes the standard JSON history format that Worker.runReplayHistory reads.
  const cli = stack.temporalCliPath ?? 'temporal';
  const index: Record<string, string> = {}; // file → workflow id (child ids derive from it, so replay needs it)
  const save = async (name: string, handle: WorkflowHandle) => {
    await handle.result().catch(() => undefined);
    const runId = (await handle.describe()).runId;
    const json = execFileSync(cli, ['workflow', 'show', '--address', stack.temporalAddress, '--namespace', stack.namespace,
      '--workflow-id', handle.workflowId, '--run-id', runId, '--output', 'json'], { maxBuffer: 64 * 1024 * 1024 });
    fs.writeFileSync(path.join(OUT, `${name}.json`), json);
    index[`${name}.json`] = handle.workflowId;
    console.log(`recorded ${name}`);
  };
  try {
    fs.mkdirSync(OUT, { recursive: true });
    await save('ingestDataset', await temporal.client.workflow.start('ingestDataset', { workflowId: `ingest/${q}`, taskQueue: q, args: [{ dir: EXAMPLE, maxRejects: null }] }));
    await save('ingestEvents', await temporal.client.workflow.start('ingestEvents', { workflowId: `ingest-events/${q}`, taskQueue: q, args: [{ path: EVENTS_EXAMPLE }] }));

    const run = planRun({ ruleset: DEFAULT_RULESET, asOf: '2024-07-01T00:00:00Z' }, 'run');
    await save('attributionRun', await temporal.client.workflow.start('attributionRun', { workflowId: `${run.workflowId}/${q}`, taskQueue: q, args: [run.input] }));

    const bf = backfillInput({ from: '2024-05', to: '2024-06', ruleset: DEFAULT_RULESET }, 'backfill');
    const backfill = await temporal.client.workflow.start('backfill', { workflowId: `${bf.workflowId}/${q}`, taskQueue: q, args: [{ ...bf.input, monthsPerExecution: 1 }] });
    await backfill.result();
    await save('backfill-continued-as-new', temporal.client.workflow.getHandle(backfill.workflowId, backfill.firstExecutionRunId));

    const ruleset = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ruleset-')), 'changed.yaml');
    fs.writeFileSync(ruleset, fs.readFileSync(DEFAULT_RULESET, 'utf8').replace('two_first: 0.6', 'two_first: 0.7').replace('two_last: 0.4', 'two_last: 0.3'));
    const rp = backfillInput({ from: '2024-06', to: '2024-06', ruleset }, 'replay');
    await save('replay', await temporal.client.workflow.start('replay', {
      workflowId: `${rp.workflowId}/${q}`, taskQueue: q,
      args: [{ oldModelVersion: run.input.modelVersion, backfill: rp.input, outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'replay-')) }],
    }));

    const schedule = await temporal.client.schedule.create(scheduleOptions({ config: { taskQueue: q } as never }, { id: `record-${q}`, cron: '0 3 1 * *', ruleset: DEFAULT_RULESET, catchupWindow: '7 days' }));
    await schedule.pause();
    await schedule.backfill({ start: new Date('2024-07-01T03:00:00Z'), end: new Date('2024-07-01T03:00:01Z'), overlap: ScheduleOverlapPolicy.ALLOW_ALL });
    let id: string | undefined;
    while (!id) {
      id = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
      await new Promise((r) => setTimeout(r, 200));
    }
    await save('scheduledMonthlyRun', temporal.client.workflow.getHandle(id));
    await schedule.delete();
    fs.writeFileSync(path.join(OUT, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  } finally {
    worker.worker.shutdown();
    await worker.done;
    await temporal.close();
    await db.drop();
  }
});
