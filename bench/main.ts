// npm run bench -- --accounts N [--months M] [--direct | --direct-only] [--workers K] [--peer duckdb] [--no-record]
//
// Generates (or reuses) a dataset, then measures ingest, a lifetime run of the KrispCall books and
// one incremental month, phase by phase, through Temporal (worker processes) and, with --direct,
// in-process as well, so that Temporal's overhead is a ratio of the same bench. Uses a throwaway
// stack (embedded Postgres + Temporal dev server) unless DATABASE_URL and TEMPORAL_ADDRESS are
// set. With --peer duckdb the same lifetime analysis also runs in DuckDB SQL over the same CSVs
// (bench/peer/), its channel totals must equal the engine's exactly, and the ratio is reported.
// Appends the result to bench/results.md with the command, the machine and the git revision.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PROJECT_ROOT, loadConfig } from '../common/config';
import { withThrowawayStack } from '../scripts/throwawayStack';
import { DEFAULT_ACCOUNTS_PER_SHARD, DEFAULT_SHARD_CONCURRENCY } from '../workflows/attributionRun';
import { DEFAULT_CACHE_DIR } from './dataset';
import { PEER_NAMES, type PeerName } from './peer';
import { runBench, type BenchMode, type BenchOptions, type BenchStack } from './harness';
import { environment, renderResult } from './report';

const positive = (flag: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`${flag} must be a positive integer (got "${value}")`);
  return Number(value);
};

const program = new Command()
  .name('bench')
  .description('measure ingest, context building, each book, ledger writes, reconciliation and reports, end to end')
  .requiredOption('--accounts <n>', 'accounts in the generated dataset', positive('--accounts'))
  .option('--months <m>', 'months of data (the last one is the incremental run)', positive('--months'), 12)
  .option('--seed <s>', 'generator seed', positive('--seed'), 1)
  .option('--usage-per-account <k>', 'average calls + SMS per account', positive('--usage-per-account'), 150)
  .option('--direct', 'also run in-process without Temporal, and report the orchestration overhead')
  .option('--direct-only', 'run in-process only (no Temporal)')
  .option('--workers <k>', 'worker processes in the Temporal mode', positive('--workers'), 1)
  .option('--accounts-per-shard <n>', 'accounts per shard', positive('--accounts-per-shard'), DEFAULT_ACCOUNTS_PER_SHARD)
  .option('--shard-concurrency <n>', 'shard activities at a time', positive('--shard-concurrency'), DEFAULT_SHARD_CONCURRENCY)
  .option('--cache-dir <dir>', 'where datasets are generated and reused', DEFAULT_CACHE_DIR)
  .option('--keep-databases', 'keep the bench databases afterwards')
  .addOption(new Option('--peer <name>', 'also run the lifetime analysis in this peer over the same CSVs, compare and report the ratio').choices(PEER_NAMES))
  .option('--no-record', 'do not append the result to bench/results.md');

program.parse();
const opts = program.opts<{
  accounts: number; months: number; seed: number; usagePerAccount: number; direct?: boolean; directOnly?: boolean; workers: number;
  accountsPerShard: number; shardConcurrency: number; cacheDir: string; keepDatabases?: boolean; record: boolean; peer?: PeerName;
}>();

const modes: BenchMode[] = opts.directOnly ? ['direct'] : opts.direct ? ['direct', 'temporal'] : ['temporal'];
const options: BenchOptions = {
  accounts: opts.accounts, months: opts.months, seed: opts.seed, usagePerAccount: opts.usagePerAccount, start: '2024-01', modes,
  workers: opts.workers, accountsPerShard: opts.accountsPerShard, shardConcurrency: opts.shardConcurrency,
  cacheDir: path.resolve(opts.cacheDir), keepDatabases: opts.keepDatabases ?? false, ...(opts.peer ? { peer: opts.peer } : {}),
};
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`;

const loadAtStart = os.loadavg()[0]!;

async function main(stack: BenchStack): Promise<void> {
  const result = await runBench(options, stack, log);
  const text = renderResult(result, environment(command, loadAtStart));
  process.stdout.write(`\n${text}\n`);
  if (opts.record) {
    const file = path.join(PROJECT_ROOT, 'bench', 'results.md');
    if (!fs.existsSync(file)) fs.writeFileSync(file, '# Benchmark results\n\nAppended by `npm run bench`; the newest run is last.\n\n');
    fs.appendFileSync(file, `${text}\n`);
    log(`appended to ${file}`);
  }
  const broken = result.modes.flatMap((m) => m.runs.filter((r) => !r.balanced).map((r) => `${m.mode} ${r.label}`));
  if (broken.length > 0 || result.ledgersEqual === false) {
    log(`FAILED: ${broken.length > 0 ? `unbalanced reconciliation in ${broken.join(', ')}` : 'the ledgers of the modes differ'}`);
    process.exitCode = 1;
  }
  for (const c of result.peer?.comparisons ?? []) {
    if (c.differences.length === 0) continue;
    log(`FAILED: the ${result.peer!.name} peer's channel totals differ from the ${c.mode} ledger in ${c.differences.length} place(s):`);
    for (const d of c.differences.slice(0, 20)) log(`  ${d}`);
    process.exitCode = 1;
  }
}

const config = loadConfig();
if (config.databaseUrl && config.temporalAddress) {
  await main({ databaseUrl: config.databaseUrl, temporalAddress: config.temporalAddress, namespace: config.namespace });
} else {
  await withThrowawayStack((stack) => main({ databaseUrl: stack.databaseUrl, temporalAddress: stack.temporalAddress, namespace: stack.namespace }));
}
