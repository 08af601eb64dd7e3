// The report's pure parts: CSV cells, comparison.csv, the chart specifications (marks, tables,
// SVG labels), method sentences, the sensitivity rows and the ruleset sweep.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { parseRuleset } from '../../domain/ruleset';
import { numericParams, parseSweepValues, sweepRulesets } from '../../domain/rulesetSweep';
import { renderAttributionCsv, type ChannelRevenue } from '../../reporting/attributionCsv';
import { methodSentence } from '../../reporting/bookMethods';
import { monthStatesChart, monthlyRevenueChart } from '../../reporting/charts/monthCharts';
import { renderChartSvg } from '../../reporting/charts/render';
import { bucketsChart, revenueByBookChart, shareByBookChart } from '../../reporting/charts/runCharts';
import { comparisonRows, renderComparisonCsv, renderRevenueByMonthCsv } from '../../reporting/comparison';
import { numberCell, textCell } from '../../reporting/csvCell';
import { deltasChart, oldNewChart, replayDiffRow, type ReplayReportData } from '../../reporting/replayReport';
import { defaultBasis } from '../../reporting/runReport';
import { renderSensitivityCsv, sensitivityChart, sensitivityRows } from '../../reporting/sensitivityReport';
import { chosenNote, renderSummary } from '../../reporting/summary';

const r = (channel: string, currency: string, units: bigint, accounts = 1): ChannelRevenue => ({ channel, currency, revenueUnits: units, accounts, transactions: accounts });
const revenue = new Map<string, ChannelRevenue[]>([
  ['first_touch', [r('hubspot', 'USD', 600_000n), r('zapier', 'USD', 400_000n), r('(no integration)', 'USD', 0n, 0), r('slack', 'EUR', 50_000n)]],
  ['usage_share', [r('hubspot', 'USD', 250_000n), r('web', 'USD', 750_000n), r('slack', 'EUR', 50_000n)]],
]);
const books = ['first_touch', 'usage_share'];

/** Data marks of a rendered SVG: the paths inside Vega's mark groups of that type. */
function svgMarks(svg: string, type: string): number {
  const groups = svg.split(`<g class="mark-${type} role-mark`).slice(1);
  return groups.reduce((n, g) => n + (g.slice(0, g.indexOf('</g>')).match(/<path /g) ?? []).length, 0);
}

describe('CSV cells', () => {
  it('neutralises text a spreadsheet would evaluate, and leaves numbers alone', () => {
    assert.equal(textCell('=SUM(A1:A9)'), "'=SUM(A1:A9)");
    assert.equal(textCell('+1'), "'+1");
    assert.equal(textCell('-x'), "'-x");
    assert.equal(textCell('@cmd'), "'@cmd");
    assert.equal(textCell('\tx'), "'\tx");
    assert.equal(textCell('\rx'), `"'\rx"`); // a carriage return also needs quotes
    assert.equal(textCell('=HYPERLINK("http://x","y")'), `"'=HYPERLINK(""http://x"",""y"")"`);
    assert.equal(textCell('hubspot'), 'hubspot');
    assert.equal(textCell('a,b'), '"a,b"');
    assert.equal(numberCell('-12.5000'), '-12.5000');
    assert.throws(() => numberCell('=1+1'), /not a number cell/);
  });

  it('applies to every CSV: the attribution CSV, comparison.csv, revenue_by_month.csv, sensitivity.csv', () => {
    const evil = new Map([['first_touch', [r('=cmd|x', 'USD', -10_000n)]]]);
    assert.equal(renderAttributionCsv(evil.get('first_touch')!).split('\n')[1], "'=cmd|x,USD,-1.0000,100.00,1,1");
    assert.equal(renderComparisonCsv(['first_touch'], comparisonRows(['first_touch'], evil, 'first_touch')).split('\n')[1], "'=cmd|x,USD,-1.0000,100.00");
    assert.equal(renderRevenueByMonthCsv([{ month: '2024-01', book: 'first_touch', channel: '@x', currency: 'USD', revenueUnits: 5n, accounts: 1 }]).split('\n')[1], "2024-01,first_touch,'@x,USD,0.0005,1");
    const rows = sensitivityRows('p', ['1'], ['first_touch'], [evil]);
    assert.equal(renderSensitivityCsv(rows).split('\n')[1], "p,1,first_touch,'=cmd|x,USD,-1.0000,100.00,0.00");
  });
});

describe('CSV cells, for any text', () => {
  it('a CSV reader gets the text back (with one quote in front when it would be a formula), and no cell starts a formula', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\n', ',', '"', "'", 'a', '1', ' ') }), (text) => {
      const line = `${textCell(text)},${numberCell('-1.5000')}\n`;
      const [cells] = parse(line, { relax_quotes: false }) as string[][];
      const expected = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
      assert.deepEqual(cells, [expected, '-1.5000']);
      assert.doesNotMatch(cells![0]!, /^[=+\-@\t\r]/);
    }), { numRuns: 500 });
  });
});

describe('comparison.csv', () => {
  it('one row per channel and currency, a revenue and a share column per book, 0 where a book has none', () => {
    assert.equal(renderComparisonCsv(books, comparisonRows(books, revenue, 'usage_share')), [
      'channel,currency,first_touch_revenue,first_touch_share_pct,usage_share_revenue,usage_share_share_pct',
      'slack,EUR,5.0000,100.00,5.0000,100.00',
      'web,USD,0.0000,0.00,75.0000,75.00',
      'hubspot,USD,60.0000,60.00,25.0000,25.00',
      '(no integration),USD,0.0000,0.00,0.0000,0.00',
      'zapier,USD,40.0000,40.00,0.0000,0.00',
      '',
    ].join('\n'));
  });
});

describe('chart specifications', () => {
  const rows = comparisonRows(books, revenue, 'first_touch');

  it('revenue per channel and book: one bar per (channel, book) the book credited, the table repeats comparison.csv', async () => {
    const chart = revenueByBookChart(books, rows, 'USD');
    assert.equal(chart.marks.count, 5); // hubspot ×2, zapier, (no integration), web
    assert.deepEqual(chart.table.header, ['channel', 'currency', 'first_touch_revenue', 'usage_share_revenue']);
    assert.deepEqual(chart.table.rows[0], ['hubspot', 'USD', '60.0000', '25.0000']);
    const svg = await renderChartSvg(chart);
    assert.equal(svgMarks(svg, 'rect'), 5);
    assert.match(svg, /^<svg id="revenue-USD-svg" role="img" aria-labelledby="revenue-USD-title revenue-USD-desc"/);
    assert.match(svg, /<title id="revenue-USD-title">Revenue per channel and book \(USD\)<\/title><desc id="revenue-USD-desc">Grouped bars: /);
    // The xmlns attributes name namespaces (never fetched); nothing else may point outside the file.
    assert.doesNotMatch(svg.replace(/ xmlns(:xlink)?="[^"]*"/g, ''), /https?:|<script|href=|url\(/, 'nothing outside the file');
  });

  it('share per channel and book carries the exact share text', () => {
    const chart = shareByBookChart(books, rows, 'EUR');
    assert.equal(chart.marks.count, 2);
    assert.deepEqual(chart.table.rows, [['slack', 'EUR', '100.00', '100.00']]);
  });

  it('buckets: the pseudo-channels of each book', () => {
    const chart = bucketsChart(books, revenue);
    assert.equal(chart.marks.count, 1);
    assert.deepEqual(chart.table.rows, [['first_touch', '(no integration)', 'USD', '0.0000', '0.00', '0']]);
    assert.deepEqual(chart.table.rowCsv, ['first_touch_attribution.csv']);
  });

  it('months: a segment per month and channel with revenue; a cell per month state', async () => {
    const months = [
      { month: '2024-02', book: 'first_touch', channel: 'hubspot', currency: 'USD', revenueUnits: 10n, accounts: 1 },
      { month: '2024-01', book: 'first_touch', channel: 'hubspot', currency: 'USD', revenueUnits: 20n, accounts: 1 },
      { month: '2024-01', book: 'first_touch', channel: 'zapier', currency: 'USD', revenueUnits: 0n, accounts: 0 },
      { month: '2024-01', book: 'usage_share', channel: 'web', currency: 'USD', revenueUnits: 5n, accounts: 1 },
    ];
    const chart = monthlyRevenueChart(months, 'first_touch', 'USD');
    assert.equal(chart.marks.count, 2);
    assert.deepEqual(chart.table.rows.map((x) => x[0]), ['2024-01', '2024-02']);
    assert.equal(svgMarks(await renderChartSvg(chart), 'rect'), 2);
    const states = monthStatesChart([{ month: '2024-01', state: 'done' }, { month: '2024-02', state: 'missing' }, { month: '2024-03', state: 'stale' }]);
    assert.equal(states.marks.count, 3);
    assert.match(states.description, /1 done, 1 missing, 1 stale/);
    assert.equal(svgMarks(await renderChartSvg(states), 'rect'), 3);
  });

  it('replay: two bars per channel, deltas sorted by size', async () => {
    const d: ReplayReportData = {
      oldModelVersion: 'a#1', newModelVersion: 'b#2', from: '2024-01-01T00:00:00.000Z', to: '2024-02-01T00:00:00.000Z', books: ['position_based'], movers: [],
      rows: [
        replayDiffRow({ book: 'position_based', channel: 'hubspot', currency: 'USD', old: '10.0000', new: '12.0000' }),
        replayDiffRow({ book: 'position_based', channel: 'slack', currency: 'USD', old: '10.0000', new: '5.0000' }),
        replayDiffRow({ book: 'position_based', channel: 'zapier', currency: 'USD', old: '3.0000', new: '3.0000' }),
      ],
    };
    assert.deepEqual(d.rows[1], { book: 'position_based', channel: 'slack', currency: 'USD', oldRevenue: '10.0000', newRevenue: '5.0000', delta: '-5.0000', deltaPct: '-50.00' });
    const oldNew = oldNewChart(d, 'position_based', 'USD');
    assert.equal(oldNew.marks.count, 6);
    assert.equal(svgMarks(await renderChartSvg(oldNew), 'rect'), 6);
    const deltas = deltasChart(d, 'USD');
    assert.deepEqual(deltas.table.rows.map((x) => x[1]), ['slack', 'hubspot']);
    assert.equal(deltas.marks.count, 2);
  });

  it('sensitivity: a point per value and channel; swing = largest − smallest share', async () => {
    const at = (web: bigint, hubspot: bigint) => new Map([['usage_share', [r('web', 'USD', web), r('hubspot', 'USD', hubspot)]]]);
    const rows = sensitivityRows('sms_seconds_per_segment', ['0', '5'], ['usage_share'], [at(1n, 3n), at(3n, 1n)]);
    assert.deepEqual(rows.map((x) => [x.channel, x.value, x.sharePct, x.swingPct]), [
      ['hubspot', '0', '75.00', '50.00'], ['hubspot', '5', '25.00', '50.00'], ['web', '0', '25.00', '50.00'], ['web', '5', '75.00', '50.00'],
    ]);
    const chart = sensitivityChart(rows, 'usage_share', 'USD');
    assert.equal(chart.marks.count, 4);
    assert.equal(svgMarks(await renderChartSvg(chart), 'symbol'), 4);
  });
});

describe('method sentences and the chosen book', () => {
  const ruleset = parseRuleset('version: "t"\nbooks:\n  position_based: { two_first: 0.7, two_last: 0.3 }\n  last_touch: {}\n', 't.yaml');

  it('every book has a sentence; a book without one of its own gets a generic one', () => {
    assert.equal(methodSentence('position_based', ruleset), 'Position-based: 1 platform → 100 %; 2 → first 70 %, last 30 %; more → first 40 %, last 40 %, the middle ones share 20 %.');
    assert.match(methodSentence('last_touch', ruleset), /^Last-touch: all credit to the channel of the last touch/);
    assert.match(methodSentence('usage_share', ruleset), /SMS segments × 5/);
    assert.equal(methodSentence('markov', ruleset), 'Markov chain (markov): weights as the book defines them, split exactly per transaction.');
    assert.equal(methodSentence('some_new_book', ruleset), 'Some new book (some_new_book): weights as the book defines them, split exactly per transaction.');
  });

  it('a report.chosen book that was not run is named, with the book standing in for it', () => {
    assert.equal(chosenNote({ ruleset, chosen: 'position_based' }), null);
    assert.equal(chosenNote({ ruleset, chosen: 'first_touch' }),
      'report.chosen is position_based, which this report does not hold; first_touch (the first book that was run) stands in for it, in chosen_attribution.csv too.');
  });

  it('the summary says so too, under the method', () => {
    const text = renderSummary({
      runId: null, modelVersion: 't#1', basis: 'as_of:2024-07-01T00:00:00.000Z', ruleset, periodFrom: null, periodTo: '2024-07-01T00:00:00.000Z', asOf: null,
      books: ['first_touch'], chosen: 'first_touch', revenue: new Map(), attributedAccounts: [], decisions: [], reconciliation: [],
    });
    assert.match(text, /The chosen model for the main insights is First-touch\.\nNote: report\.chosen is position_based, which this report does not hold; first_touch/);
  });

  it('the basis: monthly for a month with its own cutoff, as_of otherwise', () => {
    assert.equal(defaultBasis('2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z'), 'monthly');
    assert.equal(defaultBasis(null, '2024-07-01T00:00:00.000Z', '2024-07-01T00:00:00.000Z'), 'as_of:2024-07-01T00:00:00.000Z');
    assert.equal(defaultBasis('2024-03-01T00:00:00.000Z', '2024-04-01T00:00:00.000Z', '2024-07-01T00:00:00.000Z'), 'as_of:2024-07-01T00:00:00.000Z');
  });
});

describe('ruleset sweep', () => {
  const yaml = 'version: "t"\nsms_seconds_per_segment: 5\nbooks:\n  position_based: { first: 0.4, last: 0.4, middle: 0.2 }\n';

  it('one ruleset per value of a numeric parameter', () => {
    const { path, variants } = sweepRulesets(yaml, 't.yaml', 'sms_seconds_per_segment', ['0', '10', '2.5']);
    assert.equal(path, 'sms_seconds_per_segment');
    assert.deepEqual(variants.map((v) => v.ruleset.sms_seconds_per_segment), ['0', '10', '2.5']);
    assert.deepEqual(variants.map((v) => v.moved), [{}, {}, {}]);
  });

  it('two_first moves two_last to 1 − v', () => {
    const { path, variants } = sweepRulesets(yaml, 't.yaml', 'position_based.two_first', ['0.7', '1']);
    assert.equal(path, 'books.position_based.two_first');
    assert.deepEqual(variants.map((v) => [v.ruleset.books.position_based!.two_first, v.ruleset.books.position_based!.two_last]), [['0.7', '0.3'], ['1', '0']]);
    assert.deepEqual(variants[0]!.moved, { 'books.position_based.two_last': '0.3' });
  });

  it('first, last and middle: the other two share 1 − v in proportion, exactly summing to 1', () => {
    const { variants } = sweepRulesets(yaml, 't.yaml', 'books.position_based.first', ['0.5', '0.6']);
    const p = variants.map((v) => v.ruleset.books.position_based!);
    // last : middle = 0.4 : 0.2, so they share 0.5 as 1/3 and 1/6 (12 decimals, the rest to middle).
    assert.deepEqual([p[0]!.first, p[0]!.last, p[0]!.middle], ['0.5', '0.333333333333', '0.166666666667']);
    assert.deepEqual([p[1]!.first, p[1]!.last, p[1]!.middle], ['0.6', '0.266666666667', '0.133333333333']);
  });

  it('refuses what cannot be swept, naming the parameter and what to do', () => {
    assert.throws(() => sweepRulesets(yaml, 't.yaml', 'position_based.single', ['0.5']), /single: must be 1 .* cannot be swept/);
    assert.throws(() => sweepRulesets(yaml, 't.yaml', 'position_based.two_first', ['1.5']), /--values 1\.5: books\.position_based\.two_first is a share of the credit and must be between 0 and 1/);
    assert.throws(() => sweepRulesets(yaml, 't.yaml', 'nope', ['1']), /--param nope: not a numeric parameter of this ruleset; numeric parameters: books\.position_based\.first, /);
    assert.throws(() => sweepRulesets(yaml, 't.yaml', 'sms_seconds_per_segment', ['-1']), /--values -1: .*sms_seconds_per_segment: must be >= 0/);
    assert.throws(() => parseSweepValues('1,x'), /"x" is not a decimal number/);
    assert.throws(() => parseSweepValues('5,5.0'), /listed twice/);
    assert.throws(() => parseSweepValues('0.1234567890123456'), /more than 15 significant digits/);
  });

  it('lists the numeric parameters of the effective ruleset', () => {
    assert.deepEqual(numericParams(parseRuleset(yaml, 't.yaml')), [
      'books.position_based.first', 'books.position_based.last', 'books.position_based.middle', 'books.position_based.single',
      'books.position_based.two_first', 'books.position_based.two_last', 'sms_seconds_per_segment',
    ]);
  });
});
