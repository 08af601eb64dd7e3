// Each kind of report (a run, a monthly range, a replay, a sensitivity sweep) written from the
// ledger of examples/krispcall-small, then opened from disk in a real headless Chromium with the
// network off and JavaScript disabled: no console error, no request, every chart's SVG holds the
// marks its data calls for (counted from the CSVs, not from the report), every table's numbers are
// the CSV's to the last digit. Screenshots go to test-artifacts/.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'puppeteer-core';
import type { Worker } from '@temporalio/worker';
import { parse } from 'csv-parse/sync';
import { backfillInput } from '../../client/commands/ops';
import { DEFAULT_RULESET, loadRulesetFile, planRun } from '../../client/commands/run';
import { writeReplayReport } from '../../client/reports/replayReport';
import { writeRunReport } from '../../client/reports/runReport';
import { writeSensitivityReport } from '../../client/reports/sensitivityReport';
import { createActivities } from '../../activities';
import { PROJECT_ROOT } from '../../common/config';
import type { BookName } from '../../domain/books';
import { attributionFileName } from '../../reporting/attributionCsv';
import { PSEUDO_CHANNELS } from '../../domain/channels';
import type { ReplayInput } from '../../workflows/replay';
import { launchBrowser, openReport, type OpenedReport } from '../helpers/browser';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { EXAMPLE_DIR } from '../helpers/datasets';
import { connectTestTemporal, type TestTemporal } from '../helpers/temporal';

const AS_OF = '2024-07-01T00:00:00.000Z';
const BOOKS = ['first_touch', 'usage_share', 'position_based'];
const GOLDEN = path.join(PROJECT_ROOT, 'test', 'fixtures', 'krispcall-small');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'report-html-'));
const dirs = { run: path.join(root, 'run'), range: path.join(root, 'range'), replay: path.join(root, 'replay'), sensitivity: path.join(root, 'sensitivity') };

let db: TestDatabase;
let temporal: TestTemporal;
let worker: { worker: Worker; done: Promise<void> };
let browser: Browser;
const opened: Partial<Record<keyof typeof dirs, OpenedReport>> = {};
const stored: { before?: unknown; after?: unknown } = {};

/** Rows of every table a run writes to (the ledger, runs, rulesets, contexts). */
async function storedCounts(): Promise<Record<string, number>> {
  const tables = ['ledger_entries', 'ledger_lines', 'attribution_runs', 'rulesets', 'account_contexts', 'context_user_accounts', 'run_reconciliations'];
  const counts: Record<string, number> = {};
  for (const t of tables) counts[t] = (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`)).rows[0]!.n;
  return counts;
}

type Row = Record<string, string>;
const csv = (dir: string, file: string): Row[] => parse(fs.readFileSync(path.join(dir, file), 'utf8'), { columns: true }) as Row[];

before(async () => {
  db = await createTestDatabase('report_html');
  temporal = await connectTestTemporal('report-html');
  worker = await temporal.startWorker(db.pool);
  const q = temporal.taskQueue;
  await temporal.client.workflow.execute('ingestDataset', { workflowId: `ingest-${q}`, taskQueue: q, args: [{ dir: EXAMPLE_DIR, maxRejects: null }] });

  const run = planRun({ ruleset: DEFAULT_RULESET, asOf: AS_OF }, 'run');
  const result = await temporal.client.workflow.execute('attributionRun', { workflowId: `${run.workflowId}/${q}`, taskQueue: q, args: [run.input] });
  await writeRunReport(db.pool, { modelVersion: run.input.modelVersion, from: null, to: AS_OF, asOf: AS_OF, books: BOOKS, outDir: dirs.run, runId: result.runId });

  const bf = backfillInput({ from: '2024-01', to: '2024-06', ruleset: DEFAULT_RULESET }, 'backfill');
  await temporal.client.workflow.execute('backfill', { workflowId: `${bf.workflowId}/${q}`, taskQueue: q, args: [bf.input] });
  await writeRunReport(db.pool, { modelVersion: bf.input.run.modelVersion, from: '2024-01-01T00:00:00.000Z', to: '2024-07-01T00:00:00.000Z', asOf: null, books: BOOKS, outDir: dirs.range, runId: null, months: { from: '2024-01', to: '2024-06' } });

  const changed = path.join(root, 'changed.yaml');
  fs.writeFileSync(changed, fs.readFileSync(DEFAULT_RULESET, 'utf8').replace('two_first: 0.6', 'two_first: 0.7').replace('two_last: 0.4', 'two_last: 0.3'));
  const rp = backfillInput({ from: '2024-01', to: '2024-06', ruleset: changed }, 'replay');
  const replayInput: ReplayInput = { oldModelVersion: run.input.modelVersion, backfill: rp.input };
  await temporal.client.workflow.execute('replay', { workflowId: `${rp.workflowId}/${q}`, taskQueue: q, args: [replayInput] });
  await writeReplayReport(db.pool, { oldModelVersion: run.input.modelVersion, newModelVersion: rp.input.run.modelVersion, fromMonth: '2024-01', toMonth: '2024-06', books: BOOKS, outDir: dirs.replay });

  const loaded = loadRulesetFile(DEFAULT_RULESET, undefined);
  stored.before = await storedCounts();
  await writeSensitivityReport(db.pool, {
    rulesetYaml: loaded.yaml, rulesetSource: loaded.source, param: 'sms_seconds_per_segment', values: ['0', '5', '10', '30'],
    books: BOOKS as BookName[], asOf: AS_OF, outDir: dirs.sensitivity, accountsPerBatch: 7,
  });

  stored.after = await storedCounts();
  browser = await launchBrowser();
  for (const kind of Object.keys(dirs) as Array<keyof typeof dirs>) opened[kind] = await openReport(browser, path.join(dirs[kind], 'report.html'), `report-${kind}`);
});

after(async () => {
  await browser?.close();
  worker.worker.shutdown();
  await worker.done;
  await temporal.close();
  await db.drop();
});

/** Each chart's marks against the count its data gives (from the CSVs); every table row is a CSV row. */
function assertChartsAndTables(kind: keyof typeof dirs, expectedMarks: Record<string, number>): void {
  const report = opened[kind]!;
  assert.deepEqual(report.consoleErrors, [], `${kind}: console errors`);
  assert.deepEqual(report.requests, [], `${kind}: requests`);
  assert.deepEqual(Object.fromEntries(report.charts.map((c) => [c.id, c.marks])), expectedMarks, `${kind}: marks per chart`);
  for (const c of report.charts) {
    assert.equal(c.declared, c.marks, `${kind} ${c.id}: declared marks`);
    assert.ok(c.title.length > 0 && c.desc.length > 0 && c.labelled, `${kind} ${c.id}: <title>, <desc> and aria-labelledby`);
  }
  let checked = 0;
  for (const table of report.tables) {
    for (const row of table.rows) {
      const file = row.csv ?? table.csv;
      if (!file) continue;
      const rows = csv(dirs[kind], file);
      // A table may add a label column its file does not have (the book, in a table over the per-book files).
      const extra = table.header.filter((h) => !(h in rows[0]!));
      assert.ok(extra.every((h) => h === 'book'), `${kind} ${table.id}: columns ${extra.join(', ')} are not in ${file}`);
      const found = rows.some((r) => table.header.every((h, i) => !(h in r) || r[h] === row.cells[i]));
      assert.ok(found, `${kind} ${table.id}: row ${row.cells.join(' | ')} is not in ${file}`);
      checked += 1;
    }
  }
  assert.ok(checked > 0, `${kind}: some table rows were checked against the CSVs`);
}

describe('report.html in a headless Chromium, from disk, offline', () => {
  it('a run: the books side by side per currency, the buckets, the reconciliation', () => {
    const perBook = BOOKS.flatMap((b) => csv(dirs.run, attributionFileName(b)));
    const count = (currency: string) => perBook.filter((r) => r.currency === currency).length;
    assertChartsAndTables('run', {
      'revenue-EUR': count('EUR'), 'share-EUR': count('EUR'), 'revenue-USD': count('USD'), 'share-USD': count('USD'),
      buckets: perBook.filter((r) => PSEUDO_CHANNELS.includes(r.channel!)).length,
    });
    assert.equal(count('USD'), 20, 'hand count: 6 + 8 + 6 USD rows in the three golden CSVs');
    const recon = opened.run!.tables.find((t) => t.id === 'reconciliation-table')!;
    assert.deepEqual(recon.rows.find((r) => r.cells[0] === 'first_touch' && r.cells[1] === 'USD')!.cells,
      ['first_touch', 'USD', '4464.8200', '4414.8200', '50.0000', '30.0000', '-10.0000', '30.0000', '0.0000']);
    assert.deepEqual(csv(dirs.run, 'comparison.csv'), csv(GOLDEN, 'comparison.csv'));
  });

  it('a monthly range: revenue per channel per month of the chosen book, and the months\' states', () => {
    const months = csv(dirs.range, 'revenue_by_month.csv').filter((r) => r.book === 'position_based' && r.revenue !== '0.0000');
    assertChartsAndTables('range', {
      'revenue-EUR': 0, 'share-EUR': 0, 'revenue-USD': 0, 'share-USD': 0, buckets: 0,
      'month-states': 6, 'months-EUR': months.filter((r) => r.currency === 'EUR').length, 'months-USD': months.filter((r) => r.currency === 'USD').length,
      ...rangeBookMarks(),
    });
    const states = opened.range!.tables.find((t) => t.id === 'month-states-data')!;
    assert.deepEqual(states.rows.map((r) => r.cells), ['01', '02', '03', '04', '05', '06'].map((m) => [`2024-${m}`, 'done']));
  });

  it('a replay: old vs new per book and channel, the deltas by size, totals and movers', () => {
    const diff = csv(dirs.replay, 'replay_diff.csv');
    const expected: Record<string, number> = {};
    for (const book of BOOKS) for (const c of ['EUR', 'USD']) {
      const n = diff.filter((r) => r.book === book && r.currency === c).length;
      if (n) expected[`old-new-${book}-${c}`] = 2 * n;
    }
    for (const c of ['EUR', 'USD']) expected[`deltas-${c}`] = diff.filter((r) => r.currency === c && r.delta !== '0.0000').length;
    assertChartsAndTables('replay', expected);
    // (The other books may move too: the old rows were decided as of the lifetime cutoff, the new ones monthly.)
    assert.ok(diff.some((r) => r.book === 'position_based' && r.delta !== '0.0000'), 'position_based moved');
    const deltas = opened.replay!.tables.find((t) => t.id === 'deltas-USD-data')!.rows.map((r) => Math.abs(Number(r.cells[5])));
    assert.deepEqual(deltas, [...deltas].sort((a, b) => b - a), 'sorted by size');
  });

  it('a sensitivity sweep: each channel\'s share per value', () => {
    const rows = csv(dirs.sensitivity, 'sensitivity.csv');
    const expected: Record<string, number> = {};
    for (const book of BOOKS) for (const c of ['EUR', 'USD']) expected[`sensitivity-${book}-${c}`] = rows.filter((r) => r.book === book && r.currency === c).length;
    assertChartsAndTables('sensitivity', expected);
  });
});

describe('sensitivity sweep', () => {
  it('at the ruleset\'s own value, every book equals the lifetime run\'s ledger to the last digit', () => {
    const rows = csv(dirs.sensitivity, 'sensitivity.csv').filter((r) => r.value === '5' && r.revenue !== '0.0000');
    for (const book of BOOKS) {
      const golden = csv(GOLDEN, attributionFileName(book)).map((r) => `${r.channel}|${r.currency}|${r.revenue}|${r.share_pct}`).sort();
      assert.deepEqual(rows.filter((r) => r.book === book).map((r) => `${r.channel}|${r.currency}|${r.revenue}|${r.share_pct}`).sort(), golden, book);
    }
  });

  it('first-touch and position-based do not depend on SMS; usage-based does', () => {
    const rows = csv(dirs.sensitivity, 'sensitivity.csv');
    for (const book of ['first_touch', 'position_based']) assert.ok(rows.filter((r) => r.book === book).every((r) => r.swing_pct === '0.00'), book);
    assert.ok(rows.some((r) => r.book === 'usage_share' && r.swing_pct !== '0.00'), 'usage_share swings');
  });

  it('writes nothing to the ledger and records no run', () => {
    assert.deepEqual(stored.after, stored.before);
    assert.ok((stored.before as Record<string, number>).ledger_lines! > 0);
    const manifest = JSON.parse(fs.readFileSync(path.join(dirs.sensitivity, 'manifest.json'), 'utf8')) as { ledgerWritten: boolean; runIds: string[] };
    assert.equal(manifest.ledgerWritten, false);
    assert.deepEqual(manifest.runIds, []);
  });
});

describe('who writes reports', () => {
  it('no worker activity writes files: the reports above were written by this process from the ledger', () => {
    const activities = Object.keys(createActivities({ pool: db.pool }));
    assert.deepEqual(activities.filter((a) => /report|diff|write/i.test(a)), []);
    assert.ok(activities.includes('attributeShard'));
  });
});

describe('manifest.json', () => {
  it('names what the files hold and the sha256 of each', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(dirs.run, 'manifest.json'), 'utf8')) as Record<string, unknown> & { files: Record<string, string> };
    assert.equal(manifest.basis, `as_of:${AS_OF}`);
    assert.deepEqual(manifest.period, { from: null, to: AS_OF });
    assert.equal(manifest.cutoff, AS_OF);
    assert.deepEqual(manifest.books, BOOKS);
    assert.equal((manifest.runIds as string[]).length, 1);
    assert.ok((manifest.inputDataVersions as unknown[]).length >= 6);
    for (const [file, sha] of Object.entries(manifest.files)) assert.equal(createHash('sha256').update(fs.readFileSync(path.join(dirs.run, file))).digest('hex'), sha, file);
    assert.deepEqual(Object.keys(manifest.files).sort(), fs.readdirSync(dirs.run).filter((f) => f !== 'manifest.json').sort());
    const range = JSON.parse(fs.readFileSync(path.join(dirs.range, 'manifest.json'), 'utf8')) as { basis: string; runIds: string[] };
    assert.equal(range.basis, 'monthly');
    assert.equal(range.runIds.length, 6);
  });
});

/** The range report also holds the books side by side for the whole range. */
function rangeBookMarks(): Record<string, number> {
  const perBook = BOOKS.flatMap((b) => csv(dirs.range, attributionFileName(b)));
  const count = (currency: string) => perBook.filter((r) => r.currency === currency).length;
  return {
    'revenue-EUR': count('EUR'), 'share-EUR': count('EUR'), 'revenue-USD': count('USD'), 'share-USD': count('USD'),
    buckets: perBook.filter((r) => PSEUDO_CHANNELS.includes(r.channel!)).length,
  };
}
