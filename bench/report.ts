// Renders a bench result as the markdown section that is printed and appended to bench/results.md.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { PROJECT_ROOT } from '../common/config';
import { benchPeriods, type BenchResult, type ModeFigures, type RunFigures } from './harness';

const int = new Intl.NumberFormat('en-US');
const s1 = (x: number) => x.toFixed(1);
const rate = (count: number, seconds: number) => (seconds > 0 && count > 0 ? int.format(Math.round(count / seconds)) : '–');
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

export interface Environment {
  command: string;
  date: string;
  machine: string;
  revision: string;
  /** 1-minute load averages at the start and the end of the bench: the machine is shared. */
  load?: string;
}

export function environment(command: string, loadAtStart?: number): Environment {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  const cpus = os.cpus();
  return {
    command,
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), ${gib(os.totalmem())} RAM, ${os.type()} ${os.release()} ${os.machine()}`,
    revision: `${git('rev-parse', '--short', 'HEAD') || 'unknown'}${dirty ? ' (with uncommitted changes in the tree)' : ''}`,
    ...(loadAtStart !== undefined ? { load: `${loadAtStart.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end (1-minute load average, ${cpus.length} cores)` } : {}),
  };
}

export function renderResult(r: BenchResult, env: Environment): string {
  const o = r.options;
  const d = r.dataset.summary;
  const out: string[] = [];
  out.push(`## ${int.format(o.accounts)} accounts, ${o.months} months — ${r.modes.map(modeName).join(' + ')} — ${env.date}`);
  out.push('');
  out.push(`- command: \`${env.command}\``);
  out.push(`- machine: ${env.machine}`);
  out.push(`- git: ${env.revision}`);
  if (env.load) out.push(`- load: ${env.load}`);
  out.push(`- dataset: ${int.format(d.totalRows)} rows, ${gib(d.totalBytes)} of CSV (${d.files.map((f) => `${f.name} ${int.format(f.rows)}`).join(', ')}); ` +
    (r.dataset.reused ? 'reused from the cache' : `generated in ${s1(r.dataset.generateSeconds)} s (${rate(d.totalRows, r.dataset.generateSeconds)} rows/s)`));
  out.push(`- shards of ${int.format(o.accountsPerShard)} accounts, ${o.shardConcurrency} shard activities at a time`);
  out.push('');
  out.push(`| phase | ${r.modes.map((m) => `${modeName(m)} s | rows/s`).join(' | ')} | unit |`);
  out.push(`| --- | ${r.modes.map(() => '---: | ---:').join(' | ')} | --- |`);
  const row = (name: string, cells: Array<[number, number] | undefined>, unit: string) =>
    out.push(`| ${name} | ${cells.map((c) => (c ? `${s1(c[1])} | ${rate(c[0], c[1])}` : '– | –')).join(' | ')} | ${unit} |`);
  row('ingest', r.modes.map((m) => [m.ingest.rows, m.ingest.seconds]), 'input rows');
  for (const label of ['lifetime', 'month'] as const) {
    const runs = r.modes.map((m) => m.runs.find((x) => x.label === label));
    const first = runs[0];
    if (!first) continue;
    for (const phase of first.phases) {
      row(`${label}: ${phase.name}`, runs.map((x) => {
        const p = x?.phases.find((q) => q.name === phase.name);
        return p ? [p.count, p.seconds] : undefined;
      }), phase.unit);
    }
    row(`${label}: ledger writes (summed over writers)`, runs.map((x) => (x ? [x.lines, x.ledgerWriteSeconds] : undefined)), 'lines');
    row(`${label}: ledger writes (wall, writers side by side)`, runs.map((x) => (x ? [x.lines, x.ledgerWriteWallSeconds] : undefined)), 'lines');
    row(`**${label} run (${first.period})**`, runs.map((x) => (x ? [x.entries, x.wallSeconds] : undefined)), 'ledger entries');
  }
  row('**end to end: ingest + lifetime run**', r.modes.map((m) => [m.ingest.rows, m.endToEndSeconds]), 'input rows');
  out.push('');
  for (const m of r.modes) out.push(modeSummary(m));
  if (r.temporalOverhead !== undefined) out.push(`- Temporal orchestration overhead (end to end, temporal / direct − 1): **${(r.temporalOverhead * 100).toFixed(1)} %**`);
  if (r.ledgersEqual !== undefined) out.push(`- ledgers of the modes identical (checksum without run ids): **${r.ledgersEqual ? 'yes' : 'NO'}**`);
  if (r.peer) out.push(...peerLines(r));
  out.push('');
  return out.join('\n');
}

function modeName(m: ModeFigures): string {
  return m.mode === 'temporal' ? `temporal (${m.workers} worker${m.workers === 1 ? '' : 's'})` : 'direct';
}

function modeSummary(m: ModeFigures): string {
  const runs = m.runs.map((x: RunFigures) => `${x.label} ${int.format(x.accounts)} accounts in ${x.shards} shards, ` +
    `${int.format(x.entries)} entries, ${int.format(x.lines)} lines, reconciliation ${x.balanced ? 'balanced' : 'NOT balanced'} (${x.reconciliationRows} book×currency rows)`);
  return `- ${modeName(m)}: peak RSS ${m.mode === 'temporal' ? 'of the worker process(es)' : 'of the bench process'} **${mib(m.memory.workerPeakBytes)}**, ` +
    `Postgres ${mib(m.memory.postgresPeakBytes)}; ledger ${int.format(m.ledger.entries)} entries with ${int.format(m.ledger.lines)} lines in ` +
    `${mib(m.ledger.bytes)} with its indexes (${int.format(Math.round(m.ledger.bytes / Math.max(1, m.ledger.lines)))} bytes per line), ` +
    `checksum \`${m.ledger.checksum}\`; ${runs.join('; ')}`;
}

function peerLines(r: BenchResult): string[] {
  const p = r.peer!;
  const cutoff = benchPeriods(r.options.start, r.options.months).lastMonth.slice(0, 7);
  const slowest = [...p.steps].sort((a, b) => b.seconds - a.seconds).slice(0, 3).map((s) => `${s.name} ${s1(s.seconds)} s`);
  const lines = [
    `- ${p.name} peer (bench/peer/krispcall.sql: the same lifetime analysis, start..${cutoff}, over the same CSVs, CSV reading included): ` +
      `**${s1(p.seconds)} s** (slowest steps: ${slowest.join(', ')}); ${int.format(p.totals)} (book, channel, currency) totals`,
  ];
  for (const c of p.comparisons) {
    const agree = c.differences.length === 0 ? '**agree exactly**' : `**DIFFER in ${c.differences.length}** (first: ${c.differences[0]})`;
    lines.push(`- ${c.mode} vs ${p.name}: channel totals ${agree}; end to end (ingest + lifetime run) ÷ ${p.name} = **${c.ratio.toFixed(1)}×**`);
  }
  return lines;
}
