// The bench's DuckDB peer (docs/benchmark.md, "The DuckDB peer"): on the hand-computed example it
// gives exactly the expected channel totals; on a small generated dataset it agrees with the
// engine's ledger to the unit through the bench's own comparison; what it cannot reproduce it
// refuses.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DEFAULT_RULESET } from '../client/commands/run';
import { PROJECT_ROOT } from '../common/config';
import { Decimal } from 'decimal.js';
import { allocateExact } from '../domain/allocation';
import { parseRuleset } from '../domain/ruleset';
import { runBench } from '../bench/harness';
import { DuckDBInstance } from '@duckdb/node-api';
import { compareTotals, formatUnits, macroStatements, runDuckdbPeer, type ChannelTotal } from '../bench/peer/duckdb';
import { parseAmount, parseDuration, parseTimestamp } from '../ingest/fields';
import { numericToUnits } from '../bench/peer/engineTotals';

const EXAMPLE = path.join(PROJECT_ROOT, 'examples', 'krispcall-small');
const ruleset = parseRuleset(fs.readFileSync(DEFAULT_RULESET, 'utf8'), 'default.yaml');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-peer-test-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface ExpectedRow { channel: string; currency: string; revenue: string }

function expectedTotals(): ChannelTotal[] {
  const expected = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'expected.json'), 'utf8')) as { books: Record<string, ExpectedRow[]> };
  return Object.entries(expected.books).flatMap(([book, rows]) =>
    rows.map((r) => ({ book, channel: r.channel, currency: r.currency, amountUnits: numericToUnits(r.revenue) })));
}

describe('DuckDB peer', () => {
  it('gives the hand-computed channel totals of examples/krispcall-small exactly', async () => {
    const result = await runDuckdbPeer({ datasetDir: EXAMPLE, asOf: '2024-07-01T00:00:00Z', ruleset });
    const expected = expectedTotals();
    assert.ok(expected.length >= 20, 'the example lists every book');
    assert.deepEqual(compareTotals(expected, result.totals), []);
    // Two that exercise the exact allocation: 40 EUR split 300:150 by usage, and the cascade.
    const total = (book: string, channel: string, currency: string) =>
      formatUnits(result.totals.find((t) => t.book === book && t.channel === channel && t.currency === currency)?.amountUnits ?? 0n);
    assert.equal(total('usage_share', 'salesforce', 'EUR'), '26.6666');
    assert.equal(total('usage_share', 'slack', 'EUR'), '13.3334');
    assert.ok(result.seconds > 0 && result.steps.some((s) => s.name === 'channel_totals'));
  });

  it('follows the cutoff: a month earlier gives other totals', async () => {
    const june = await runDuckdbPeer({ datasetDir: EXAMPLE, asOf: '2024-07-01T00:00:00Z', ruleset });
    const may = await runDuckdbPeer({ datasetDir: EXAMPLE, asOf: '2024-06-01T00:00:00Z', ruleset });
    assert.notDeepEqual(compareTotals(june.totals, may.totals), []);
  });

  it('splits amounts whose products overflow 64 bits exactly as allocateExact does', async () => {
    const dir = path.join(scratch, 'large');
    fs.mkdirSync(dir);
    const files: Record<string, string[]> = {
      workspaces: ['workspace_id,owner_id,member_ids', 'w1,u1,'],
      payments: ['payment_id,user_id,amount,currency,paid_at', 'p1,u1,12345678901.2345,USD,2024-01-01T00:00:00Z'],
      refunds: ['refund_id,user_id,amount,currency,refunded_at,payment_id', 'r1,u1,1000.0001,USD,2024-01-20T00:00:00Z,'],
      integrations: ['event_id,user_id,platform,action,occurred_at', 'i1,u1,hubspot,connected,2024-01-01T00:00:00Z'],
      calls: ['call_id,user_id,platform,started_at,duration', 'c1,u1,web,2024-01-02T00:00:00Z,999999999 seconds', 'c2,u1,hubspot,2024-01-03T00:00:00Z,333333333.333'],
      sms: ['sms_id,user_id,platform,sent_at,segments', 's1,u1,mobile,2024-01-04T00:00:00Z,7'],
    };
    for (const [name, lines] of Object.entries(files)) fs.writeFileSync(path.join(dir, `${name}.csv`), `${lines.join('\n')}\n`);
    const result = await runDuckdbPeer({ datasetDir: dir, asOf: '2024-02-01T00:00:00Z', ruleset });
    // 123456789012345 units × 999999999000 (thousandths of a second) is about 1.2e26: the HUGEINT path.
    const weights = [['hubspot', '333333333.333'], ['mobile', '35'], ['web', '999999999']].map(([channel, w]) => ({ channel: channel!, weight: new Decimal(w!) }));
    const paid = allocateExact(123_456_789_012_345n, weights);
    const refunded = allocateExact(-10_000_001n, weights);
    const expected: ChannelTotal[] = [
      { book: 'first_touch', channel: 'hubspot', currency: 'USD', amountUnits: 123_456_789_012_345n - 10_000_001n },
      { book: 'position_based', channel: 'hubspot', currency: 'USD', amountUnits: 123_456_789_012_345n - 10_000_001n },
      ...paid.map((l) => ({ book: 'usage_share', channel: l.channel, currency: 'USD', amountUnits: l.amountUnits + (refunded.find((r) => r.channel === l.channel)?.amountUnits ?? 0n) })),
    ];
    assert.deepEqual(compareTotals(expected, result.totals), []);
    assert.equal(result.totals.length, 5);
  });

  it('reads every spelling of instants, amounts and durations as the loader does', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      for (const sql of macroStatements({ datasetDir: EXAMPLE, asOf: '2024-07-01T00:00:00Z', ruleset })) await connection.run(sql);
      const value = async (expression: string) => String((await connection.runAndReadAll(`SELECT CAST(${expression} AS VARCHAR)`)).getRows()[0]![0]);
      const quoted = (s: string) => `'${s}'`;
      const instants = ['2024-01-10T14:45:00Z', '2024-01-10 14:45Z', '2024-01-10T14:45+05:45', '2024-01-10T14:45:00 UTC', '2024-01-10T14:45:00UTC',
        '2024-01-10T14:45:00+0545', '2024-01-10T14:45:00.5Z', '2024-01-10T14:45:00z', '2024-01-10T14:45:00-05', ' 2024-01-10T14:45:00Z ', '2024-01-10T14:45 -0500'];
      for (const s of instants) {
        const loaded = parseTimestamp(s, undefined);
        assert.ok(loaded.ok, s);
        assert.equal(await value(`ts_us(${quoted(s)})`), String(BigInt(Date.parse(loaded.value)) * 1000n), s);
      }
      for (const s of ['12.5', '0.0001', '19.99', ' 7 ', '12345678901234.5678']) {
        const loaded = parseAmount(s);
        assert.ok(loaded.ok, s);
        assert.equal(await value(`units(${quoted(s)})`), loaded.value.replace('.', '').replace(/^0+(?=\d)/, ''), s);
      }
      for (const s of ['431.0 seconds', '431 s', '431', '431s', '12.25 sec', ' 9 ']) {
        const loaded = parseDuration(s);
        assert.ok(loaded.ok, s);
        assert.equal(await value(`duration_units(${quoted(s)})`), String(BigInt(new Decimal(loaded.value).times(1000).toFixed(0))), s);
      }
      assert.equal(await value(`channel(' HubSpot ')`), 'hubspot');
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('reports each differing total with both amounts, and nothing when they agree', () => {
    const a: ChannelTotal[] = [{ book: 'first_touch', channel: 'web', currency: 'USD', amountUnits: 10_000n }];
    const b: ChannelTotal[] = [{ book: 'first_touch', channel: 'web', currency: 'USD', amountUnits: 10_001n }];
    assert.deepEqual(compareTotals(a, b), ['first_touch | web | USD: engine 1.0000, DuckDB 1.0001']);
    assert.deepEqual(compareTotals(a, [...a, { book: 'first_touch', channel: 'zoho', currency: 'EUR', amountUnits: 0n }]), []);
  });

  it('reads NUMERIC text as units of 0.0001', () => {
    assert.equal(numericToUnits('12.5'), 125_000n);
    assert.equal(numericToUnits('-3.0001'), -30_001n);
    assert.equal(numericToUnits('7'), 70_000n);
    assert.throws(() => numericToUnits('1.23456'), /at most 4 decimals/);
  });

  it('refuses a payment named by two refunds instead of comparing it wrongly', async () => {
    const dir = path.join(scratch, 'two-refunds');
    fs.cpSync(EXAMPLE, dir, { recursive: true });
    fs.appendFileSync(path.join(dir, 'refunds.csv'), 'ref-9999,u-02-owner,1.0000,USD,2024-04-20T10:00:00Z,pay-0002\n');
    await assert.rejects(runDuckdbPeer({ datasetDir: dir, asOf: '2024-07-01T00:00:00Z', ruleset }), /1 payments are named by more than one refund/);
  });

  it('refuses a ruleset whose default books are not the three it computes', async () => {
    const yaml = fs.readFileSync(DEFAULT_RULESET, 'utf8').replace('default_books: [first_touch, usage_share, position_based]', 'default_books: [first_touch, linear]').replace('chosen: position_based', 'chosen: linear');
    const other = parseRuleset(yaml, 'other.yaml');
    await assert.rejects(runDuckdbPeer({ datasetDir: EXAMPLE, asOf: '2024-07-01T00:00:00Z', ruleset: other }), /computes the books first_touch, position_based, usage_share; the ruleset's default books are first_touch, linear/);
  });

  it('agrees exactly with the engine ledger of a small bench, and gives a ratio', { timeout: 180_000 }, async () => {
    const { DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE } = process.env;
    if (!DATABASE_URL || !TEMPORAL_ADDRESS) throw new Error('DATABASE_URL / TEMPORAL_ADDRESS are not set: run the tests with `npm test`.');
    const result = await runBench({
      accounts: 600, months: 3, seed: 11, usagePerAccount: 40, start: '2024-01', modes: ['direct'], workers: 1,
      accountsPerShard: 300, shardConcurrency: 2, cacheDir: scratch, keepDatabases: false, peer: 'duckdb',
    }, { databaseUrl: DATABASE_URL, temporalAddress: TEMPORAL_ADDRESS, namespace: TEMPORAL_NAMESPACE ?? 'default' }, () => undefined);
    const peer = result.peer!;
    const engine = result.modes[0]!.channelTotals!;
    assert.ok(engine.length >= 20 && peer.totals >= 20, `both sides have totals (engine ${engine.length}, peer ${peer.totals})`);
    assert.deepEqual(peer.comparisons.map((c) => [c.mode, c.differences]), [['direct', []]]);
    assert.ok(peer.comparisons[0]!.ratio > 0 && Number.isFinite(peer.comparisons[0]!.ratio));
  });
});
