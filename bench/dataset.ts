// The bench's dataset: generated once per parameter set with the streaming generator and reused
// (1M accounts is ~7.5 GiB of CSV and a minute or two to write). A `.complete` marker holding the
// generator's summary is written last, so an interrupted generation is never mistaken for a dataset.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDataset, type DatasetSummary } from '../scripts/generator/dataset';
import { parseGenerateOptions } from '../scripts/generator/options';

export interface BenchDatasetOptions {
  accounts: number;
  months: number;
  seed: number;
  usagePerAccount: number;
  start: string;
  /** Parent folder of the cached datasets. */
  cacheDir: string;
}

export interface BenchDataset {
  dir: string;
  summary: DatasetSummary;
  /** Seconds spent generating in this bench (0 when reused). */
  generateSeconds: number;
  reused: boolean;
}

export const DEFAULT_CACHE_DIR = path.join(os.platform() === 'linux' ? '/var/tmp' : os.tmpdir(), 'attribution-bench');

export async function benchDataset(o: BenchDatasetOptions, log: (line: string) => void): Promise<BenchDataset> {
  const dir = path.join(o.cacheDir, `a${o.accounts}-m${o.months}-s${o.seed}-u${o.usagePerAccount}-${o.start}`);
  const marker = path.join(dir, '.complete');
  if (fs.existsSync(marker)) {
    log(`dataset: reusing ${dir}`);
    return { dir, summary: JSON.parse(fs.readFileSync(marker, 'utf8')) as DatasetSummary, generateSeconds: 0, reused: true };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  log(`dataset: generating ${o.accounts} accounts into ${dir}`);
  const summary = await generateDataset(parseGenerateOptions({
    accounts: String(o.accounts), seed: String(o.seed), out: dir, months: String(o.months), start: o.start, usagePerAccount: String(o.usagePerAccount),
  }));
  fs.writeFileSync(marker, JSON.stringify(summary));
  return { dir, summary, generateSeconds: summary.elapsedMs / 1000, reused: false };
}
