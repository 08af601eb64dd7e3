// CLI: writes a deterministic synthetic CSV dataset directory (docs/decisions.md, "Input") for tests and benchmarks.
//
//   npm run generate -- --accounts 100000 --seed 1 --out /tmp/gen100k [--months 12]
//                       [--start 2024-01] [--usage-per-account 150] [--shape csv|events]
//
// `--shape events` writes the multi-product shape instead (docs/decisions.md, "Events", scripts/generator/events.ts):
// events.ndjson plus the multi-product example's ruleset.yaml and bundles.yaml.
//
// Same arguments → byte-identical files. The generator streams account by account with bounded
// buffers (scripts/generator/), so 1M accounts (~150M usage rows) run in flat memory. Progress goes
// to stderr at most once a second; the summary goes to stdout.

import { Command } from 'commander';
import { generateDataset } from './generator/dataset';
import { generateEvents } from './generator/events';
import type { DatasetSummary, Progress } from './generator/dataset';
import { OptionError, parseGenerateOptions } from './generator/options';
import type { GenerateOptions, RawGenerateOptions } from './generator/options';

const program = new Command()
  .name('generate')
  .description('Write a synthetic CSV dataset (workspaces, payments, refunds, integrations, calls, sms) '
    + 'for N accounts into a directory. Same arguments give byte-identical files.')
  .requiredOption('--accounts <n>', 'number of accounts (one workspace each)')
  .requiredOption('--seed <s>', 'PRNG seed, an integer from 0 to 4294967295')
  .requiredOption('--out <dir>', 'output directory (created if missing; existing files are replaced)')
  .option('--months <m>', 'number of months covered', '12')
  .option('--start <YYYY-MM>', 'first month of the range (UTC)', '2024-01')
  .option('--usage-per-account <k>', 'average number of call + SMS rows per account', '150')
  .option('--shape <shape>', 'csv: the account/integration CSV files; events: multi-product NDJSON events', 'csv')
  .showSuggestionAfterError()
  .addHelpText('after', '\nExample:\n  npm run generate -- --accounts 100000 --seed 1 --out /tmp/gen100k');

program.parse();

let options: GenerateOptions;
try {
  options = parseGenerateOptions(program.opts<RawGenerateOptions>());
} catch (err) {
  if (err instanceof OptionError) program.error(`error: ${err.message}`);
  throw err;
}

const integer = new Intl.NumberFormat('en-US');

function rate(rowsPerSecond: number): string {
  return rowsPerSecond >= 1e6 ? `${(rowsPerSecond / 1e6).toFixed(2)}M` : `${Math.round(rowsPerSecond / 1e3)}k`;
}

function size(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

let last = { rows: 0, ms: 0 };
function onProgress(p: Progress): void {
  const pct = ((100 * p.accountsDone) / p.accounts).toFixed(1);
  const recent = ((p.rows - last.rows) * 1000) / (p.elapsedMs - last.ms);
  last = { rows: p.rows, ms: p.elapsedMs };
  process.stderr.write(`generate: ${integer.format(p.accountsDone)}/${integer.format(p.accounts)} accounts (${pct}%), `
    + `${integer.format(p.rows)} rows, ${rate(recent)} rows/s\n`);
}

function printSummary(s: DatasetSummary): void {
  const seconds = s.elapsedMs / 1000;
  const lines = [`generated ${integer.format(s.accounts)} accounts (seed ${options.seed}, `
    + `${options.startYear}-${String(options.startMonth).padStart(2, '0')} + ${options.months} months) into ${s.outDir}`];
  for (const f of s.files) {
    lines.push(`  ${f.name.padEnd(18)} ${integer.format(f.rows).padStart(14)} rows ${size(f.bytes).padStart(11)}`);
  }
  lines.push(`  ${'total'.padEnd(18)} ${integer.format(s.totalRows).padStart(14)} rows ${size(s.totalBytes).padStart(11)}`
    + `  in ${seconds.toFixed(1)} s (${rate(s.totalRows / seconds)} rows/s)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const shape = program.opts<{ shape: string }>().shape;
if (shape !== 'csv' && shape !== 'events') program.error(`error: --shape must be csv or events (got ${JSON.stringify(shape)})`);

try {
  if (shape === 'events') {
    const s = await generateEvents(options);
    process.stdout.write(`generated ${integer.format(s.events)} events for ${integer.format(options.accounts)} customers `
      + `(${size(s.bytes)}) into ${s.outDir} in ${(s.elapsedMs / 1000).toFixed(1)} s\n`);
  } else {
    printSummary(await generateDataset(options, { onProgress }));
  }
} catch (err) {
  process.stderr.write(`generate: failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
