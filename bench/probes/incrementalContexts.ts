// Probe: a month's context shards continued from the contexts stored at its start against the same
// month built fully, on a cached bench dataset (docs/decisions.md, "Contexts": incremental months).
// Builds the lifetime contexts as of the last month's start, then the last month twice: once
// continued from them, once fully (under a ruleset with other context parameters, the same work).
//   [PROBE_USER_AT_INDEX=1] npx tsx bench/probes/incrementalContexts.ts /var/tmp/attribution-bench/a10000-m12-s1-u150-2024-01
// PROBE_USER_AT_INDEX=1 replaces the usage tables' (user) indexes by (user, instant) ones first.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { buildContextShard, prepareRun } from '../../activities/run';
import { DEFAULT_RULESET, planRun } from '../../client/commands/run';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { withThrowawayStack } from '../../scripts/throwawayStack';

const dir = process.argv[2]!;
const otherParams = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'probe-')), 'other.yaml');
fs.writeFileSync(otherParams, fs.readFileSync(DEFAULT_RULESET, 'utf8').replace('sms_seconds_per_segment: 5', 'sms_seconds_per_segment: 6'));

await withThrowawayStack(async (stack) => {
  const pool = createPool(stack.databaseUrl);
  await migrate(pool);
  const listing = await listDatasetFiles(dir);
  await Promise.all(listing.files.map((f) => loadCsvFile(pool, { dir, kind: f.kind, maxRejects: null, expectedLoadKey: f.loadKey })));
  if (process.env.PROBE_USER_AT_INDEX) {
    // The (user, instant) usage indexes instead of the (user) ones (docs/decisions.md, "Incremental months").
    await pool.query('CREATE INDEX calls_user_at_idx ON calls (user_id, started_at); CREATE INDEX sms_user_at_idx ON sms (user_id, sent_at)');
    await pool.query('DROP INDEX calls_user_idx; DROP INDEX sms_user_idx; ANALYZE calls; ANALYZE sms');
  }
  const runs: Array<[string, string | null, string, string]> = [
    ['lifetime', null, '2024-12-01T00:00:00.000Z', DEFAULT_RULESET],
    ['month continued', '2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', DEFAULT_RULESET],
    ['month fully', '2024-12-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z', otherParams],
  ];
  for (const [label, from, to, ruleset] of runs) {
    const plan = planRun({ ruleset, ...(from ? { from } : {}), to, asOf: to }, 'run');
    const runId = `probe-${label}`;
    const { shardCount } = await prepareRun(pool, { ...plan.input, runId, workflowId: runId, accountsPerShard: 1000 });
    const t0 = Date.now();
    let next = 0;
    let continued = 0;
    let accounts = 0;
    await Promise.all([0, 1, 2, 3].map(async () => {
      while (next < shardCount) {
        const result = await buildContextShard(pool, { runId, shard: next++ }, () => undefined);
        continued += result.continued ?? 0;
        accounts += result.accounts;
      }
    }));
    console.log(`${label}: ${shardCount} shards, ${accounts} accounts (${continued} continued) in ${Date.now() - t0} ms`);
  }
  await pool.end();
});
