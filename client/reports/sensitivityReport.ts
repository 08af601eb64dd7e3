// `attribution sensitivity`: the books under each value of one ruleset parameter, computed in
// this process without touching the ledger, written as sensitivity.csv, report.html and
// manifest.json (docs/reports.md, "Sensitivity").
import type pg from 'pg';
import type { BookName } from '../../domain/books';
import { modelVersion, parseRuleset } from '../../domain/ruleset';
import { sweepRulesets } from '../../domain/rulesetSweep';
import { reportHeader, renderSections } from '../../reporting/runReport';
import { renderSensitivityCsv, sensitivityRows, sensitivitySections, SENSITIVITY_FILE_NAME, type SensitivityRow } from '../../reporting/sensitivityReport';
import { sweepBookTotals } from '../sensitivity/bookTotals';
import { writeReportFiles, type WrittenReports } from './files';
import { fileVersionsUpTo } from '../../store/inputs';
import { REPORT_FILE_NAME } from './runReport';

export interface SensitivityInput {
  rulesetYaml: string;
  rulesetSource: string;
  param: string;
  values: string[];
  books: BookName[];
  asOf: string;
  outDir: string;
  accountsPerBatch?: number;
}

export async function writeSensitivityReport(pool: pg.Pool, input: SensitivityInput): Promise<WrittenReports & { rows: SensitivityRow[]; path: string }> {
  const { path, variants } = sweepRulesets(input.rulesetYaml, input.rulesetSource, input.param, input.values);
  const perValue = await sweepBookTotals(pool, { rulesets: variants.map((v) => v.ruleset), books: input.books, asOf: input.asOf, accountsPerBatch: input.accountsPerBatch });
  const rows = sensitivityRows(path, input.values, input.books, perValue);
  const notes = variants.filter((v) => Object.keys(v.moved).length > 0)
    .map((v) => `At ${path} = ${v.value}, ${Object.entries(v.moved).map(([p, x]) => `${p} = ${x}`).join(' and ')} (position weights keep summing to 1).`);
  const versions = variants.map((v) => ({ value: v.value, modelVersion: modelVersion(v.ruleset), moved: v.moved }));
  const basis = `as_of:${input.asOf}`;
  const header = reportHeader(`Sensitivity of the books to ${path}`, {
    modelVersion: versions.map((v) => `${v.modelVersion} (${path} = ${v.value})`).join(', '), basis, periodFrom: null, periodTo: input.asOf, asOf: input.asOf, books: input.books, runIds: [],
    noRuns: 'none: computed from the inputs for each value; nothing was written to the ledger',
  });
  const files = new Map<string, string>([
    [SENSITIVITY_FILE_NAME, renderSensitivityCsv(rows)],
    [REPORT_FILE_NAME, await renderSections(header, sensitivitySections(rows, input.books, notes))],
  ]);
  const written = writeReportFiles(input.outDir, files, {
    kind: 'sensitivity', modelVersion: modelVersion(parseRuleset(input.rulesetYaml, input.rulesetSource)),
    basis, period: { from: null, to: input.asOf }, cutoff: input.asOf, books: input.books, runIds: [], inputDataVersions: await fileVersionsUpTo(pool),
    // The ruleset as given; each value's own model version is under `values`.
    param: path, values: versions, ledgerWritten: false,
  });
  return { ...written, rows, path };
}
