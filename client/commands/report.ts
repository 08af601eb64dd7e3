// attribution report --out DIR [--model-version V] [--from ISO --to ISO] [--books a,b]
import path from 'node:path';
import type { Command } from 'commander';
import { MONTHLY_BASIS } from '../../common/period';
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
        const latest = await pool.query<{ run_id: string; model_version: string; basis: string; period_from: Date | null; period_to: Date; as_of: Date; books: string[] }>(
          `SELECT run_id, model_version, basis, period_from, period_to, as_of, books FROM attribution_runs
            WHERE $1::text IS NULL OR model_version = $1 ORDER BY created_at DESC LIMIT 1`,
          [options.modelVersion ?? null],
        );
        const run = latest.rows[0];
        if (!run) throw new Error(options.modelVersion ? `No run with model version ${options.modelVersion} in the ledger.` : 'The ledger has no run yet: start one with `attribution run`.');
        const explicitPeriod = options.from !== undefined || options.to !== undefined;
        const written = await writeRunReport(pool, {
          modelVersion: run.model_version,
          basis: options.basis ?? (explicitPeriod ? MONTHLY_BASIS : run.basis),
          from: explicitPeriod ? (options.from ?? null) : (run.period_from?.toISOString() ?? null),
          to: options.to ?? run.period_to.toISOString(),
          asOf: explicitPeriod ? null : run.as_of.toISOString(),
          books: options.books ? options.books.split(',').map((b) => b.trim()) : run.books,
          outDir: path.resolve(options.out),
          // The latest run's stored reconciliation; an explicit period is reconciled afresh.
          runId: explicitPeriod ? null : run.run_id,
        });
        console.log(`Reports for model version ${run.model_version} in ${written.outDir}: ${written.files.join(', ')}`);
      }, { worker: false });
    });
}
