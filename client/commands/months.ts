// attribution months | drift, and `backfill --dry-run`: what ops see of the monthly book of record
// (docs/operations.md). All three only read Postgres; none starts or writes anything.
import type pg from 'pg';
import { InvalidArgumentError, type Command } from 'commander';
import { monthsBetween } from '../../common/period';
import { billingMonthSpan } from '../../store/inputs/billing';
import { monthGrid, type MonthRow } from '../../store/monthStates';
import { monthDrift, type DriftRow } from '../../store/runOutcomes';
import { latestRun } from '../../store/runs';
import { DEFAULT_REPROCESS, REPROCESS_CHOICES, wouldRun, type ReprocessChoice } from '../../common/monthStates';
import { withSession } from '../session';
import { parseMonth } from './ops';
import { DEFAULT_RULESET, loadRulesetFile } from './run';

interface GridOptions {
  from?: string;
  to?: string;
  ruleset: string;
  modelVersion?: string;
  books?: string;
  json?: boolean;
}

/** `--reprocess missing,stale`: the month states a backfill runs. */
export function parseReprocess(value: string): ReprocessChoice[] {
  const choices = value.split(',').map((v) => v.trim()).filter(Boolean);
  const unknown = choices.filter((c) => !REPROCESS_CHOICES.includes(c as ReprocessChoice));
  if (choices.length === 0 || unknown.length > 0) {
    throw new InvalidArgumentError(`"${value}": expected a comma-separated list of ${REPROCESS_CHOICES.join(', ')}`);
  }
  return choices as ReprocessChoice[];
}

export function registerMonthsCommands(program: Command): void {
  program
    .command('months')
    .description('the month grid: each UTC month\'s state (done, running, failed, missing, stale) under a model version and books')
    .option('--from <month>', 'first month (default: the first month with billing data)', parseMonth)
    .option('--to <month>', 'last month, included (default: the last month with billing data)', parseMonth)
    .option('--ruleset <file>', 'ruleset YAML whose model version to show', DEFAULT_RULESET)
    .option('--model-version <v>', 'a model version stored in the ledger (instead of --ruleset)')
    .option('--books <list>', 'comma-separated books (default: the ruleset\'s default_books)')
    .option('--json', 'one JSON document on stdout')
    .action(async (options: GridOptions) => {
      await withSession(async ({ pool }) => {
        const key = await gridKey(pool, options);
        const months = await monthRange(pool, options);
        const rows = await monthGrid(pool, key, months, { persist: true });
        if (options.json) console.log(JSON.stringify({ modelVersion: key.modelVersion, basis: 'monthly', books: key.books, months: rows }, null, 2));
        else console.log(renderGrid(key, rows).join('\n'));
      }, { worker: false });
    });

  program
    .command('drift')
    .description('the transactions whose recomputed decision differed from the stored one, for a month')
    .argument('<month>', 'e.g. 2024-03', parseMonth)
    .option('--ruleset <file>', 'ruleset YAML whose model version to show', DEFAULT_RULESET)
    .option('--model-version <v>', 'a model version stored in the ledger (instead of --ruleset)')
    .option('--books <list>', 'comma-separated books (default: all)')
    .option('--json', 'one JSON document on stdout')
    .action(async (month: string, options: GridOptions) => {
      await withSession(async ({ pool }) => {
        const key = await gridKey(pool, { ...options, books: options.books });
        const rows = await monthDrift(pool, { modelVersion: key.modelVersion, month, books: options.books ? key.books : undefined });
        if (options.json) console.log(JSON.stringify({ month, modelVersion: key.modelVersion, basis: 'monthly', drift: rows }, null, 2));
        else console.log(renderDrift(month, key.modelVersion, rows).join('\n'));
      }, { worker: false });
    });
}

/** `backfill --dry-run`: each month, its state, and whether the backfill would run it. Writes nothing. */
export async function printDryRun(pool: pg.Pool, input: { modelVersion: string; books: string[]; fromMonth: string; toMonth: string; reprocess?: ReprocessChoice[] }): Promise<void> {
  const reprocess = input.reprocess ?? [...DEFAULT_REPROCESS];
  const rows = await monthGrid(pool, input, monthsBetween(input.fromMonth, input.toMonth), { persist: false });
  console.log(`Dry run: nothing is started or written. Model version ${input.modelVersion}, basis monthly, books ${input.books.join(', ')}.`);
  const table = rows.map((r) => {
    const decision = wouldRun(r.state, reprocess);
    return [r.month, r.state, decision.run ? 'run' : 'skip', `${decision.why}; ${r.reason}`];
  });
  console.log(formatTable(['month', 'state', 'action', 'why'], table).join('\n'));
  const runs = table.filter((r) => r[2] === 'run').length;
  console.log(`${runs} of ${rows.length} month(s) would run.`);
}

async function gridKey(pool: pg.Pool, options: GridOptions): Promise<{ modelVersion: string; books: string[] }> {
  if (!options.modelVersion) {
    const loaded = loadRulesetFile(options.ruleset, options.books);
    return { modelVersion: loaded.modelVersion, books: loaded.books };
  }
  const stored = await latestRun(pool, options.modelVersion);
  if (!stored) throw new Error(`No run with model version ${options.modelVersion} in the ledger (see the ModelVersion search attribute in the Temporal UI).`);
  const books = options.books ? options.books.split(',').map((b) => b.trim()).filter(Boolean) : stored.books;
  return { modelVersion: options.modelVersion, books };
}

/** The months asked for, or the ones with billing data. */
async function monthRange(pool: pg.Pool, options: GridOptions): Promise<string[]> {
  const span = await billingMonthSpan(pool);
  const from = options.from ?? span.first;
  const to = options.to ?? span.last;
  if (!from || !to) throw new Error('The database holds no billing data yet, so there are no months to show: pass --from and --to, or ingest a dataset first.');
  if (from > to) throw new Error(`--from ${from} is after --to ${to}.`);
  return monthsBetween(from, to);
}

function renderGrid(key: { modelVersion: string; books: string[] }, rows: ReadonlyArray<MonthRow>): string[] {
  const head = `Model version ${key.modelVersion}, basis monthly, books ${key.books.join(', ')}`;
  const table = rows.map((r) => [r.month, r.state, r.finishedAt?.slice(0, 19).replace('T', ' ') ?? '', String(r.entries), String(r.lines),
    String(r.drift), r.dataVersion === null ? '' : String(r.dataVersion), r.workflowId ?? '', r.reason]);
  const counts = ['done', 'running', 'failed', 'missing', 'stale'].map((s) => `${rows.filter((r) => r.state === s).length} ${s}`).join(', ');
  return [head, ...formatTable(['month', 'state', 'finished (UTC)', 'entries', 'lines', 'drift', 'data', 'workflow', 'why'], table), counts];
}

function renderDrift(month: string, modelVersion: string, rows: ReadonlyArray<DriftRow>): string[] {
  if (rows.length === 0) return [`No drift recorded for ${month} under ${modelVersion} (monthly basis).`];
  const side = (s: DriftRow['stored']) => `${s.status}${s.status === 'excluded' ? ` (${s.reason})` : ''} ${s.amount}${s.lines ? ` [${s.lines}]` : ''}`;
  const table = rows.map((r) => [r.book, r.kind, r.transactionId, side(r.stored), side(r.recomputed), r.runId]);
  return [`${rows.length} drifted decision(s) in ${month} under ${modelVersion} (monthly basis); the stored ones stay in the ledger:`,
    ...formatTable(['book', 'kind', 'transaction', 'stored', 'recomputed', 'found by run'], table)];
}

/** Left-aligned columns, two spaces apart. */
export function formatTable(header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}
