// Probe: how long each context shard takes (four at a time, as in a run) on a cached bench dataset,
// at two cutoffs. It found the shards whose usage query the planner joined on
// the platform alone (72 s instead of 2 s); run EXPLAIN on that query by hand for such a shard.
//   npx tsx bench/probes/contextPlan.ts /var/tmp/attribution-bench/a10000-m12-s1-u150-2024-01
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
    const { shardCount } = await prepareRun(pool, { ...plan.input, runId, workflowId: runId, accountsPerShard: 1000 });
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
