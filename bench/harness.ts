// The benchmark: one dataset, then per mode (temporal and/or direct) a fresh database, the whole
// ingest, a lifetime run of the KrispCall books (all months but the last), and one incremental
// month (the last, with its own cutoff, so its contexts are rebuilt as a monthly run's would be).
// Each phase is timed from the activities' spans; memory is sampled from /proc; the ledger is
// measured and checksummed (without run ids), so runs of the same data can be compared.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DEFAULT_RULESET, planRun } from '../client/commands/run';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { ledgerBytes } from '../store/ledger';
import { ledgerChecksum } from '../store/ledgerReads';
import { runWriteTotals } from '../store/runResults';
import { benchDataset, type BenchDataset } from './dataset';
import type { ChannelTotal } from './peer/duckdb';
import { engineChannelTotals } from './peer/engineTotals';
import { runPeer, type PeerFigures, type PeerName } from './peer';
import { sampleMemory, type MemoryPeaks } from './memory';
import { directDriver, newBenchId, temporalDriver, type Driver, type RunOutcome, type Span } from './modes';
import { startWorkers, type WorkerProcesses } from './workers';

export type BenchMode = 'temporal' | 'direct';

export interface BenchOptions {
  accounts: number;
  months: number;
  seed: number;
  usagePerAccount: number;
  start: string;
  modes: BenchMode[];
  workers: number;
  accountsPerShard: number;
  shardConcurrency: number;
  cacheDir: string;
  /** Keep the bench databases afterwards (default: dropped once measured). */
  keepDatabases: boolean;
  /** Also run the lifetime analysis in this peer and compare (docs/benchmark.md). */
  peer?: PeerName;
}

export interface BenchStack {
  /** A Postgres URL whose user may create databases. */
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
}

export interface Phase {
  name: string;
  seconds: number;
  count: number;
  unit: string;
}

export interface RunFigures {
  label: 'lifetime' | 'month';
  period: string;
  wallSeconds: number;
  phases: Phase[];
  accounts: number;
  shards: number;
  entries: number;
  lines: number;
  ledgerWriteSeconds: number;
  ledgerWriteWallSeconds: number;
  balanced: boolean;
  reconciliationRows: number;
}

export interface ModeFigures {
  mode: BenchMode;
  workers: number;
  ingest: { rows: number; seconds: number };
  runs: RunFigures[];
  /** Ingest + lifetime run. */
  endToEndSeconds: number;
  memory: MemoryPeaks;
  ledger: { entries: number; lines: number; bytes: number; checksum: string };
  /** The lifetime run's ledger totals per (book, channel, currency), read when a peer runs. */
  channelTotals?: ChannelTotal[];
}

export interface BenchResult {
  options: BenchOptions;
  dataset: BenchDataset;
  modes: ModeFigures[];
  /** Temporal end to end / direct end to end − 1, when both modes ran. */
  temporalOverhead: number | undefined;
  ledgersEqual: boolean | undefined;
  peer?: PeerFigures;
}

export async function runBench(o: BenchOptions, stack: BenchStack, log: (line: string) => void): Promise<BenchResult> {
  if (o.months < 2) throw new Error('--months must be at least 2: the last month is the incremental run, the ones before it the lifetime run.');
  fs.mkdirSync(o.cacheDir, { recursive: true });
  const dataset = await benchDataset(o, log);
  const benchId = newBenchId();
  const modes: ModeFigures[] = [];
  for (const mode of o.modes) modes.push(await runMode(mode, o, stack, dataset, benchId, log));
  const direct = modes.find((m) => m.mode === 'direct');
  const temporal = modes.find((m) => m.mode === 'temporal');
  let peer: PeerFigures | undefined;
  if (o.peer) {
    log(`peer: ${o.peer} lifetime analysis of ${dataset.dir}`);
    const asOf = benchPeriods(o.start, o.months).lastMonth;
    peer = await runPeer(o.peer, { datasetDir: dataset.dir, asOf, rulesetFile: DEFAULT_RULESET },
      modes.map((m) => ({ mode: m.mode, endToEndSeconds: m.endToEndSeconds, channelTotals: m.channelTotals ?? [] })));
    log(`peer: ${o.peer} in ${peer.seconds.toFixed(1)} s`);
  }
  return {
    options: o,
    dataset,
    modes,
    temporalOverhead: direct && temporal ? temporal.endToEndSeconds / direct.endToEndSeconds - 1 : undefined,
    ledgersEqual: modes.length > 1 ? modes.every((m) => m.ledger.checksum === modes[0]!.ledger.checksum) : undefined,
    ...(peer ? { peer } : {}),
  };
}

/** [start of the data, start of its last month) and [last month, end), as UTC instants. */
export function benchPeriods(start: string, months: number): { lastMonth: string; end: string } {
  const [y, m] = start.split('-').map(Number) as [number, number];
  const at = (offset: number) => new Date(Date.UTC(y, m - 1 + offset, 1)).toISOString();
  return { lastMonth: at(months - 1), end: at(months) };
}

async function runMode(mode: BenchMode, o: BenchOptions, stack: BenchStack, dataset: BenchDataset, benchId: string, log: (line: string) => void): Promise<ModeFigures> {
  const dbName = `bench_${benchId}_${mode}`;
  const url = await createDatabase(stack.databaseUrl, dbName);
  const pool = createPool(url, 12);
  await migrate(pool);
  const port = Number(new URL(stack.databaseUrl).port || 5432);
  const outRoot = path.join(o.cacheDir, 'out', `${benchId}-${mode}`);
  let workers: WorkerProcesses | undefined;
  let driver: Driver | undefined;
  try {
    if (mode === 'temporal') {
      const taskQueue = `bench-${benchId}`;
      workers = await startWorkers(o.workers, {
        databaseUrl: url, temporalAddress: stack.temporalAddress, namespace: stack.namespace, taskQueue,
        logFile: path.join(o.cacheDir, `worker-${benchId}.log`),
      });
      driver = await temporalDriver(pool, stack.temporalAddress, stack.namespace, taskQueue, benchId, (line) => log(`${mode}: ${line}`));
    } else {
      driver = directDriver(pool, benchId);
    }
    const watched = workers ? workers.pids : () => [process.pid];
    const memory = sampleMemory(watched, port);
    log(`${mode}: ingesting ${dataset.dir}`);
    const ingest = await driver.ingest(dataset.dir);
    log(`${mode}: ingest ${ingest.rowsLoaded} rows in ${ingest.wallSeconds.toFixed(1)} s${peakText(memory.mark())}`);

    const { lastMonth, end } = benchPeriods(o.start, o.months);
    const runs: RunFigures[] = [];
    for (const [label, from, to] of [['lifetime', null, lastMonth], ['month', lastMonth, end]] as const) {
      const plan = planRun({ ruleset: DEFAULT_RULESET, ...(from ? { from } : {}), to, asOf: to }, 'run');
      const input = { ...plan.input, accountsPerShard: o.accountsPerShard, shardConcurrency: o.shardConcurrency };
      log(`${mode}: ${label} run ${from ?? '(all time)'} → ${to}`);
      const outcome = await driver.run(label, input, plan.workflowId, path.join(outRoot, label));
      runs.push(await runFigures(pool, label, `${from?.slice(0, 7) ?? 'start'}..${to.slice(0, 7)}`, outcome));
      log(`${mode}: ${label} run in ${outcome.wallSeconds.toFixed(1)} s${peakText(memory.mark())}`);
    }
    const peaks = memory.stop();
    const modelVersion = planRun({ ruleset: DEFAULT_RULESET, to: end }, 'run').input.modelVersion;
    const ledger = await ledgerFigures(pool, modelVersion);
    const channelTotals = o.peer ? await engineChannelTotals(pool, { modelVersion, from: null, to: lastMonth, asOf: lastMonth }) : undefined;
    return {
      mode, workers: mode === 'temporal' ? o.workers : 1, ingest: { rows: ingest.rowsLoaded, seconds: ingest.wallSeconds }, runs,
      endToEndSeconds: ingest.wallSeconds + runs[0]!.wallSeconds, memory: peaks, ledger, ...(channelTotals ? { channelTotals } : {}),
    };
  } finally {
    await driver?.close();
    await workers?.stop();
    await pool.end();
    if (!o.keepDatabases) await dropDatabase(stack.databaseUrl, dbName);
  }
}

const peakText = (p: MemoryPeaks) => `; peak RSS worker ${Math.round(p.workerPeakBytes / 2 ** 20)} MiB, Postgres ${Math.round(p.postgresPeakBytes / 2 ** 20)} MiB`;

async function runFigures(pool: pg.Pool, label: RunFigures['label'], period: string, outcome: RunOutcome): Promise<RunFigures> {
  const totals = await runWriteTotals(pool, outcome.runId);
  const perBook = totals.perBook;
  const entries = perBook.reduce((s, b) => s + b.entries, 0);
  const lines = perBook.reduce((s, b) => s + b.lines, 0);
  const accounts = totals.accounts;
  const unitOf: Record<string, [number, string]> = {
    prepare: [accounts, 'accounts'], contexts: [accounts, 'accounts'], learn: [accounts, 'accounts'], reconcile: [entries, 'entries'], reports: [lines, 'lines'],
  };
  unitOf.books = [entries, 'decisions'];
  for (const b of perBook) unitOf[`book ${b.book}`] = [b.entries, 'decisions'];
  const phases: Phase[] = [...groupSpans(outcome.spans)].map(([name, seconds]) => {
    const [count, unit] = unitOf[name] ?? [0, ''];
    return { name, seconds, count, unit };
  });
  const writeIntervals = outcome.ledgerWrites.map((w) => ({ phase: 'ledger', start: w.startedAt, end: w.startedAt + w.seconds * 1000 }));
  return {
    label, period, wallSeconds: outcome.wallSeconds, phases, accounts, shards: totals.shardCount, entries, lines,
    ledgerWriteSeconds: outcome.ledgerWrites.reduce((s, w) => s + w.seconds, 0),
    ledgerWriteWallSeconds: unionSeconds(writeIntervals),
    balanced: totals.variances.length > 0 && totals.variances.every((v) => Number(v) === 0),
    reconciliationRows: totals.variances.length,
  };
}

/** Per phase, the time its spans cover (their union: lanes run side by side). */
function groupSpans(spans: Span[]): Map<string, number> {
  const byPhase = new Map<string, Span[]>();
  for (const s of spans) byPhase.set(s.phase, [...(byPhase.get(s.phase) ?? []), s]);
  const order = ['prepare', 'contexts', 'learn', 'books', ...[...byPhase.keys()].filter((k) => k.startsWith('book ')), 'reconcile', 'reports'];
  return new Map(order.filter((p) => byPhase.has(p)).map((p) => [p, unionSeconds(byPhase.get(p)!)]));
}

function unionSeconds(spans: Span[]): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let total = 0;
  let end = -Infinity;
  for (const s of sorted) {
    if (s.end <= end) continue;
    total += s.end - Math.max(s.start, end);
    end = s.end;
  }
  return total / 1000;
}

/** Ledger size (its raw tables with their indexes, docs/ledger.md), and a checksum of its content without run ids and creation times (order-independent). */
async function ledgerFigures(pool: pg.Pool, modelVersion: string): Promise<ModeFigures['ledger']> {
  const [counted, bytes] = await Promise.all([ledgerChecksum(pool, modelVersion), ledgerBytes(pool)]);
  return { ...counted, bytes: bytes.entries + bytes.dictionaries };
}

export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
