// attribution run --dataset DIR --out DIR [--as-of ISO] [--from ISO] [--to ISO] [--ruleset FILE] [--books a,b,c]
import fs from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { ReconciliationRow } from '../../activities/run';
import { PROJECT_ROOT } from '../../common/config';
import { reconciliationTable } from '../../reporting/table';
import { periodLabel } from '../../common/period';
import { SEARCH_ATTRIBUTES, workflowIds, type RunKind } from '../../common/temporalNames';
import { modelVersion, parseRuleset, type Ruleset } from '../../domain/ruleset';
import { attributionRun, type AttributionRunInput, type AttributionRunResult } from '../../workflows/attributionRun';
import { describeInputs } from '../../store/inputs';
import { rootCause } from '../failure';
import { resultWithProgress, watchRun } from '../follow';
import { followingWorkflow } from '../interrupt';
import { emitJson } from '../output';
import { ingestAndReport, parseNonNegativeInt } from './ingest';
import { readRulesetText } from '../rulesetFile';
import { writeRunReport } from '../reports/runReport';
import { withSession, workflowUrl, type Session } from '../session';

export const DEFAULT_RULESET = path.join(PROJECT_ROOT, 'rulesets', 'default.yaml');

/** An ISO 8601 instant or date from the command line, as a UTC ISO string. */
export function parseInstant(value: string): string {
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : /^\d{4}-\d{2}$/.test(value) ? `${value}-01T00:00:00Z` : value;
  if (!/(Z|[+-]\d{2}:?\d{2})$/.test(text)) throw new InvalidArgumentError(`"${value}" needs a UTC offset, e.g. 2024-07-01T00:00:00Z (or give a date: 2024-07-01)`);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`"${value}" is not an ISO 8601 instant like 2024-07-01T00:00:00Z`);
  return new Date(ms).toISOString();
}

export interface RunOptions {
  dataset?: string;
  out?: string;
  asOf?: string;
  from?: string;
  to?: string;
  ruleset: string;
  books?: string;
  maxRejects?: number;
  json?: boolean;
}

export interface PlannedRun {
  ruleset: Ruleset;
  input: AttributionRunInput;
  workflowId: string;
}

export interface LoadedRuleset {
  ruleset: Ruleset;
  yaml: string;
  source: string;
  modelVersion: string;
  books: string[];
}

/** Reads and checks a ruleset file and the books asked for (default: its default_books). */
export function loadRulesetFile(file: string, booksOption: string | undefined): LoadedRuleset {
  const rulesetPath = path.resolve(file);
  if (!fs.existsSync(rulesetPath)) throw new Error(`Ruleset ${rulesetPath} does not exist.`);
  const yaml = readRulesetText(rulesetPath);
  const source = path.basename(rulesetPath);
  const ruleset = parseRuleset(yaml, source);
  const books = booksOption ? booksOption.split(',').map((b) => b.trim()).filter(Boolean) : [...ruleset.default_books];
  const unknown = books.filter((b) => !(b in ruleset.books));
  if (unknown.length) throw new Error(`--books: ${unknown.join(', ')} not configured in ${source} (configured: ${Object.keys(ruleset.books).join(', ')}).`);
  return { ruleset, yaml, source, modelVersion: modelVersion(ruleset), books };
}

/** Turns command-line options into a run: checks the ruleset, the books and the period. */
export function planRun(options: RunOptions, kind: RunKind, now: Date = new Date()): PlannedRun {
  const { ruleset, yaml, source, modelVersion: version, books } = loadRulesetFile(options.ruleset, options.books);
  const iso = (value: string) => new Date(value).toISOString(); // one spelling per instant: one workflow id
  const to = iso(options.to ?? options.asOf ?? now.toISOString());
  const asOf = iso(options.asOf ?? to);
  const from = options.from ? iso(options.from) : null;
  if (from !== null && from >= to) throw new Error(`--from ${from} must be before --to ${to}.`);
  if (asOf < to) throw new Error(`--as-of ${asOf} must not be before --to ${to}: the cutoff has to see the whole period.`);
  const input: AttributionRunInput = {
    kind, rulesetYaml: yaml, rulesetSource: source, modelVersion: version, from, to, asOf, books,
  };
  return { ruleset, input, workflowId: workflowIds.run(version, periodLabel(from, to), asOf, books) };
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('attribute the transactions of a period under a ruleset: writes the ledger, reconciles, and writes the reports')
    .option('--dataset <dir>', 'ingest this CSV dataset first (a no-op when it is already loaded)')
    .option('--out <dir>', 'write the reports here (one CSV per book, chosen_attribution.csv, comparison.csv, analysis_summary.txt, report.html, manifest.json)')
    .option('--as-of <iso>', 'cutoff: only rows before it are seen (default: --to, else now)', parseInstant)
    .option('--from <iso>', 'start of the period (default: the beginning of time)', parseInstant)
    .option('--to <iso>', 'end of the period, exclusive (default: --as-of)', parseInstant)
    .option('--ruleset <file>', 'ruleset YAML', DEFAULT_RULESET)
    .option('--books <list>', 'comma-separated books (default: the ruleset\'s default_books)')
    .option('--max-rejects <n>', 'with --dataset: quarantine up to N bad usage/integration rows per file', parseNonNegativeInt)
    .option('--json', 'print the outcome as one JSON document on stdout (everything else goes to stderr)')
    .action(async (options: RunOptions) => {
      const ok = await withSession((session) => runAndReport(session, options, 'run'), { worker: true });
      if (!ok) process.exitCode = 1;
    });
}

export async function runAndReport(session: Session, options: RunOptions, kind: RunKind): Promise<boolean> {
  let plan: PlannedRun;
  try {
    plan = planRun(options, kind);
  } catch (error) {
    // A bad ruleset (RulesetError lists every problem), unknown books or an impossible period.
    if (error instanceof Error) {
      console.error(error.message);
      emitJson({ type: 'attributionRun', status: 'REFUSED', error: { message: error.message, type: error.name } });
      return false;
    }
    throw error;
  }
  if (options.dataset && !(await ingestAndReport(session, options.dataset, options.maxRejects ?? null))) {
    emitJson({ type: 'attributionRun', status: 'REFUSED', error: { message: `The dataset ${options.dataset} was refused (see the messages above).`, type: 'InvalidDataset' } });
    return false;
  }

  const { input, workflowId } = plan;
  console.log(`\nRun ${periodLabel(input.from, input.to)} as of ${input.asOf}, model version ${input.modelVersion}, books ${input.books.join(', ')}`);
  const url = workflowUrl(session.endpoints, workflowId);
  if (url) console.log(`Temporal UI: ${url}`);
  const handle = await session.client.workflow.start(attributionRun, {
    workflowId,
    taskQueue: session.config.taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTES.kind, value: kind },
      { key: SEARCH_ATTRIBUTES.period, value: periodLabel(input.from, input.to) },
      { key: SEARCH_ATTRIBUTES.modelVersion, value: input.modelVersion },
    ],
    memo: { ruleset: input.rulesetSource, outDir: options.out ? path.resolve(options.out) : null, dataset: options.dataset ? path.resolve(options.dataset) : null },
    staticSummary: `Attribution ${periodLabel(input.from, input.to)} · ${input.modelVersion} · ${input.books.join(', ')}`,
  });
  followingWorkflow(workflowId, url); // Ctrl-C from here on detaches from it
  const base = { workflowId, runId: handle.firstExecutionRunId, type: 'attributionRun', url: url ?? null };
  try {
    const result = await resultWithProgress<AttributionRunResult>(handle, watchRun(session.client, workflowId));
    printRunResult(result);
    let reports: { outDir: string; files: string[] } | null = null;
    if (options.out) {
      // Written here, from the ledger, wherever this command runs (a worker never writes reports).
      reports = await writeRunReport(session.pool, {
        modelVersion: result.modelVersion, basis: result.basis, from: input.from, to: input.to, asOf: input.asOf, books: input.books,
        outDir: path.resolve(options.out), runId: result.runId,
      });
      console.log(`\nReports in ${reports.outDir}: ${reports.files.join(', ')}`);
    }
    emitJson({ ...base, status: 'COMPLETED', result, reports });
    return true;
  } catch (error) {
    const cause = rootCause(error);
    console.error(`\nRun failed: ${cause.message}`);
    emitJson({ ...base, status: 'FAILED', error: { message: cause.message, type: cause.type } });
    return false;
  }
}

export function printRunResult(result: AttributionRunResult): void {
  const p = result.progress;
  console.log(`Basis: ${result.basis}. Inputs (data version ${result.dataVersion}): ${describeInputs(result.inputs)}.`);
  console.log(`Accounts: ${p.accounts} in ${p.shardCount} shard(s). Ledger: ${p.entriesWritten} entries and ${p.linesWritten} lines written by this run; drift ${p.drift}.`);
  console.log('\nReconciliation (billing = attributed + excluded):');
  printReconciliation(result.reconciliation);
}

export function printReconciliation(rows: ReadonlyArray<ReconciliationRow>): void {
  console.log(reconciliationTable(rows, '  '));
}
