// Probe: what the data-driven books add to a lifetime run of the KrispCall books, in process (no
// Temporal), with the run's own sequence (workflows/runSequence.ts: one pass per shard over every
// book, four shard steps at a time). Two runs, each in a database of its own with its own ingest
// (so that the second builds its contexts and finds no ledger): the three KrispCall books, then
// those three and the three data-driven ones. Each database is vacuumed after its ingest, so that
// the autovacuum of 15 million fresh input rows does not land in one run and not the other.
// Prints each run's phases and CPU time (this process's, and every Postgres process's), the ratio
// (run of six − run of three) / run of three, with and without the ingest, and the peak RSS.
//   npm run generate -- --accounts 100000 --seed 1 --out DIR
//   npx tsx bench/probes/dataDrivenBooks.ts DIR [2025-01-01]
import fs from 'node:fs';
import path from 'node:path';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { attributeBookShard, attributeShard, buildContextShard, excludeUnattributable, learnRunModels, prepareRun, reconcileRun } from '../../activities/run';
import { planRun } from '../../client/commands/run';
import { PROJECT_ROOT } from '../../common/config';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { withThrowawayStack } from '../../scripts/throwawayStack';
import { createDatabase } from '../harness';
import { recordRunOutcome } from '../../store/runOutcomes';
import { newRunProgress, runSequence, type RunSteps } from '../../workflows/runSequence';
import type pg from 'pg';

const dir = process.argv[2]!;
const to = new Date(process.argv[3] ?? '2025-01-01').toISOString();
const KRISPCALL = 'first_touch,usage_share,position_based';
const ALL_SIX = `${KRISPCALL},time_decay,markov,shapley`;
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** CPU milliseconds of every postgres process, with what they reaped of their exited children (backends that closed). */
function postgresCpuMs(): number {
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]); // utime stime cutime cstime
    } catch {
      // the process ended while being read
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
const nodeCpuMs = () => (process.cpuUsage().user + process.cpuUsage().system) / 1000;

/** One run through the shared sequence; returns its wall time and prints the time per phase (union of spans). */
async function run(pool: pg.Pool, runId: string, ruleset: string, books: string): Promise<number> {
  const phases = new Map<string, number>();
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await work();
    } finally {
      phases.set(phase, (phases.get(phase) ?? 0) + Date.now() - t0);
    }
  };
  const none = () => undefined;
  const steps: RunSteps = {
    prepareRun: (i) => timed('prepare', () => prepareRun(pool, i)),
    buildContextShard: (i) => timed('contexts (summed over lanes)', () => buildContextShard(pool, i, none)),
    learnRunModels: (i) => timed('learn', () => learnRunModels(pool, i)),
    excludeUnattributable: (i) => timed('unattributable (summed)', () => excludeUnattributable(pool, i)),
    attributeShard: (i) => timed('shard passes (summed over lanes)', () => attributeShard(pool, i, none)),
    attributeBookShard: (i) => attributeBookShard(pool, i, none),
    reconcileRun: (i) => timed('reconcile', () => reconcileRun(pool, i)),
    recordRunOutcome: (i) => recordRunOutcome(pool, i),
  };
  const plan = planRun({ ruleset, books, to, asOf: to }, 'run');
  const [node0, postgres0] = [nodeCpuMs(), postgresCpuMs()];
  const t0 = Date.now();
  await runSequence(steps, { ...plan.input, runId, workflowId: runId }, { progress: newRunProgress(), recordsOutcome: () => true });
  const wall = Date.now() - t0;
  await pool.end(); // its backends exit, and their CPU time reaches their parent's count
  await new Promise((resolve) => setTimeout(resolve, 500));
  const cpu = `CPU: this process ${seconds(nodeCpuMs() - node0)}, Postgres ${seconds(postgresCpuMs() - postgres0)}`;
  console.log(`${runId} (${books}): ${seconds(wall)}; ${[...phases].map(([p, ms]) => `${p} ${seconds(ms)}`).join(', ')}; ${cpu}; peak RSS so far ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  return wall;
}

/** A fresh database with the dataset ingested; returns its pool and the ingest's wall time. */
async function ingested(adminUrl: string, name: string): Promise<{ pool: pg.Pool; ingestMs: number }> {
  const pool = createPool(await createDatabase(adminUrl, name));
  await migrate(pool);
  const t0 = Date.now();
  const listing = await listDatasetFiles(dir);
  await Promise.all(listing.files.map((f) => loadCsvFile(pool, { dir, kind: f.kind, maxRejects: null, expectedLoadKey: f.loadKey })));
  const ingestMs = Date.now() - t0;
  await pool.query('VACUUM ANALYZE');
  await pool.query('CHECKPOINT');
  console.log(`${name}: ingest ${seconds(ingestMs)}`);
  return { pool, ingestMs };
}

await withThrowawayStack(async (stack) => {
  const ruleset = path.join(PROJECT_ROOT, 'rulesets', 'data-driven.yaml');
  const a = await ingested(stack.databaseUrl, 'probe_three_books');
  const three = await run(a.pool, 'probe-krispcall', ruleset, KRISPCALL);
  const b = await ingested(stack.databaseUrl, 'probe_six_books');
  const six = await run(b.pool, 'probe-six-books', ruleset, ALL_SIX);
  const ingest = (a.ingestMs + b.ingestMs) / 2;
  console.log(`three KrispCall books ${seconds(three)}; six books ${seconds(six)}; the data-driven books add ${((six - three) / three * 100).toFixed(0)} % ` +
    `(counting the ingest in both runs: ${((six - three) / (three + ingest) * 100).toFixed(0)} %)`);
  console.log(`peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
});
clearInterval(sampler);
