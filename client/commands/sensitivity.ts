// attribution sensitivity --param P --values a,b,c [--books x,y] [--out DIR] [--as-of ISO] [--ruleset FILE]
import path from 'node:path';
import type { Command } from 'commander';
import { PROJECT_ROOT } from '../../common/config';
import type { BookName } from '../../domain/books';
import { parseSweepValues } from '../../domain/rulesetSweep';
import { formatTable } from '../../reporting/table';
import { writeSensitivityReport } from '../reports/sensitivityReport';
import { withSession } from '../session';
import { DEFAULT_RULESET, loadRulesetFile, parseInstant } from './run';

interface SensitivityOptions {
  param: string;
  values: string;
  books?: string;
  out?: string;
  asOf?: string;
  ruleset: string;
}

export function registerSensitivityCommand(program: Command): void {
  program
    .command('sensitivity')
    .description('compute the books for each value of one ruleset parameter, without touching the ledger; writes sensitivity.csv and report.html')
    .requiredOption('--param <name>', 'a numeric ruleset parameter, e.g. sms_seconds_per_segment or position_based.two_first')
    .requiredOption('--values <list>', 'comma-separated values, e.g. 0,5,10,30')
    .option('--books <list>', 'comma-separated books (default: the ruleset\'s default_books)')
    .option('--out <dir>', 'where sensitivity.csv, report.html and manifest.json go (default: out/sensitivity-<param>)')
    .option('--as-of <iso>', 'cutoff: every transaction before it, with the data seen before it (default: now)', parseInstant)
    .option('--ruleset <file>', 'ruleset YAML', DEFAULT_RULESET)
    .action(async (options: SensitivityOptions) => {
      const loaded = loadRulesetFile(options.ruleset, options.books);
      const values = parseSweepValues(options.values);
      const asOf = new Date(options.asOf ?? new Date().toISOString()).toISOString();
      const outDir = path.resolve(options.out ?? path.join(PROJECT_ROOT, 'out', `sensitivity-${options.param.replace(/[^\w.-]/g, '_')}`));
      await withSession(async ({ pool }) => {
        const written = await writeSensitivityReport(pool, {
          rulesetYaml: loaded.yaml, rulesetSource: loaded.source, param: options.param, values, books: loaded.books as BookName[], asOf, outDir,
        });
        console.log(`Sensitivity of ${loaded.books.join(', ')} to ${written.path} = ${values.join(', ')}, as of ${asOf} (the ledger is not touched)`);
        const perChannel = written.rows.filter((r, i, all) => i === 0 || all[i - 1]!.channel !== r.channel || all[i - 1]!.book !== r.book || all[i - 1]!.currency !== r.currency);
        console.log(formatTable(['book', 'channel', 'currency', ...values.map((v) => `share @ ${v}`), 'swing'], perChannel.map((first) => {
          const own = written.rows.filter((r) => r.book === first.book && r.channel === first.channel && r.currency === first.currency);
          return [first.book, first.channel, first.currency, ...own.map((r) => `${r.sharePct} %`), first.swingPct];
        }), '  '));
        console.log(`\nReports in ${written.outDir}: ${written.files.join(', ')}`);
      }, { worker: false });
    });
}
