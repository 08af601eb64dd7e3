// Probe: the plan Postgres picks for a context shard's usage sums, on a cached bench dataset.
//   ATTRIBUTION_EXPLAIN=1 npx tsx bench/probes/contextPlan.ts <dataset dir>
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { buildContextShard, prepareRun } from '../../activities/run';
import { DEFAULT_RULESET, planRun } from '../../client/commands/run';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { withThrowawayStack } from '../../scripts/throwawayStack';

const dir = process.argv[2]!;
await withThrowawayStack(async (stack) => {
  const pool = createPool(stack.databaseUrl);
  await migrate(pool);
  const listing = await listDatasetFiles(dir);
  await Promise.all(listing.files.map((f) => loadCsvFile(pool, { dir, kind: f.kind, maxRejects: null, expectedLoadKey: f.loadKey })));
  for (const to of ['2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z']) {
    const plan = planRun({ ruleset: DEFAULT_RULESET, to, asOf: to }, 'run');
    const runId = `probe-${to}`;
    await prepareRun(pool, { ...plan.input, runId, workflowId: runId, accountsPerShard: 1000 });
    const { shardCount } = await prepareRun(pool, { ...plan.input, runId, workflowId: runId, accountsPerShard: 1000 });
    if (process.env.SHARD) {
      process.env.ATTRIBUTION_EXPLAIN = '1';
      await buildContextShard(pool, { runId, shard: Number(process.env.SHARD) }, () => undefined);
      delete process.env.ATTRIBUTION_EXPLAIN;
      break;
    }
    const t0 = Date.now();
    let next = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (next < shardCount) {
        const shard = next++;
        const t = Date.now();
        await buildContextShard(pool, { runId, shard }, () => undefined);
        console.log(`${to}: shard ${shard} in ${Date.now() - t} ms`);
      }
    }));
    console.log(`${to}: ${shardCount} shards in ${Date.now() - t0} ms`);
  }
  await pool.end();
});
