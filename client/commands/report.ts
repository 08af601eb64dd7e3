// attribution report --out DIR [--model-version V] [--from ISO --to ISO] [--books a,b]
import path from 'node:path';
import type { Command } from 'commander';
import { MONTHLY_BASIS } from '../../common/period';
import { latestRun } from '../../store/runs';
import { writeRunReport } from '../reports/runReport';
import { withSession } from '../session';
import { parseInstant } from './run';

interface ReportOptions {
  out: string;
  modelVersion?: string;
  from?: string;
  to?: string;
  books?: string;
  basis?: string;
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('rewrite the reports from the ledger alone (by default for the latest run)')
    .requiredOption('--out <dir>', 'directory for the CSV files, analysis_summary.txt, report.html and manifest.json')
    .option('--model-version <v>', 'model version (default: the latest run\'s)')
    .option('--from <iso>', 'start of the period (default: the latest run\'s with that model version)', parseInstant)
    .option('--to <iso>', 'end of the period, exclusive', parseInstant)
    .option('--books <list>', 'comma-separated books (default: the run\'s)')
    .option('--basis <basis>', '`monthly` or `as_of:<instant>` (default: the latest run\'s; `monthly` with --from/--to)')
    .action(async (options: ReportOptions) => {
      await withSession(async ({ pool }) => {
        const run = await latestRun(pool, options.modelVersion ?? null);
        if (!run) throw new Error(options.modelVersion ? `No run with model version ${options.modelVersion} in the ledger.` : 'The ledger has no run yet: start one with `attribution run`.');
        const explicitPeriod = options.from !== undefined || options.to !== undefined;
        const written = await writeRunReport(pool, {
          modelVersion: run.modelVersion,
          basis: options.basis ?? (explicitPeriod ? MONTHLY_BASIS : run.basis),
          from: explicitPeriod ? (options.from ?? null) : run.from,
          to: options.to ?? run.to,
          asOf: explicitPeriod ? null : run.asOf,
          books: options.books ? options.books.split(',').map((b) => b.trim()) : run.books,
          outDir: path.resolve(options.out),
          // The latest run's stored reconciliation; an explicit period is reconciled afresh.
          runId: explicitPeriod ? null : run.runId,
        });
        console.log(`Reports for model version ${run.modelVersion} in ${written.outDir}: ${written.files.join(', ')}`);
      }, { worker: false });
    });
}
