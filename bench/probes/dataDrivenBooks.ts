// Probe: what the data-driven books add to a lifetime run of the KrispCall books, in process (no
// Temporal), phase by phase, with the same contexts: contexts, the three KrispCall books, then the
// one learning step and the three data-driven books, four shard activities at a time as in a run.
// Prints each phase, the ratio (learning + new books) / (contexts + KrispCall books) and the peak RSS.
//   npm run generate -- --accounts 100000 --seed 1 --out DIR
//   npx tsx bench/probes/dataDrivenBooks.ts DIR [2025-01-01]
import path from 'node:path';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { attributeBookShard, buildContextShard, excludeUnattributable, learnRunModels, prepareRun } from '../../activities/run';
import { planRun } from '../../client/commands/run';
import { PROJECT_ROOT } from '../../common/config';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { withThrowawayStack } from '../../scripts/throwawayStack';

const dir = process.argv[2]!;
const to = new Date(process.argv[3] ?? '2025-01-01').toISOString();
const KRISPCALL = ['first_touch', 'usage_share', 'position_based'];
const DATA_DRIVEN = ['time_decay', 'markov', 'shapley'];
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function timed<T>(label: string, work: () => Promise<T>): Promise<number> {
  const t0 = Date.now();
  await work();
  const ms = Date.now() - t0;
  console.log(`${label}: ${seconds(ms)} (peak RSS so far ${(peakRss / 2 ** 20).toFixed(0)} MiB)`);
  return ms;
}

async function fourAtATime(count: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all([0, 1, 2, 3].map(async () => {
    while (next < count) await work(next++);
  }));
}

await withThrowawayStack(async (stack) => {
  const pool = createPool(stack.databaseUrl);
  await migrate(pool);
  await timed('ingest', async () => {
    const listing = await listDatasetFiles(dir);
    await Promise.all(listing.files.map((f) => loadCsvFile(pool, { dir, kind: f.kind, maxRejects: null, expectedLoadKey: f.loadKey })));
  });
  const plan = planRun({ ruleset: path.join(PROJECT_ROOT, 'rulesets', 'data-driven.yaml'), to, asOf: to }, 'run');
  const runId = 'probe-data-driven';
  const prepared = await prepareRun(pool, { ...plan.input, runId, workflowId: runId, accountsPerShard: 1000 });
  console.log(`${prepared.accounts} accounts, ${prepared.shardCount} shards`);
  const contexts = await timed('contexts', () => fourAtATime(prepared.shardCount, (shard) => buildContextShard(pool, { runId, shard }, () => undefined)));
  const bookPhase = (book: string) => timed(book, async () => {
    await excludeUnattributable(pool, { runId, book });
    await fourAtATime(prepared.shardCount, (shard) => attributeBookShard(pool, { runId, book, shard }, () => undefined));
  });
  let krispcall = 0;
  for (const book of KRISPCALL) krispcall += await bookPhase(book);
  const learning = await timed('learnRunModels', () => learnRunModels(pool, { runId }));
  let added = learning;
  for (const book of DATA_DRIVEN) added += await bookPhase(book);
  const base = contexts + krispcall;
  console.log(`KrispCall run (contexts + 3 books): ${seconds(base)}; data-driven (learning + 3 books): ${seconds(added)}; ratio ${(added / base * 100).toFixed(0)} %`);
  console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  await pool.end();
});
clearInterval(sampler);
