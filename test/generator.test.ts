// Tests for the synthetic dataset generator (scripts/generate.ts, scripts/generator/).
// Run: node --import tsx --test test/generator.test.ts

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateDataset } from '../scripts/generator/dataset';
import type { DatasetSummary } from '../scripts/generator/dataset';
import { DATASET_FILES } from '../scripts/generator/files';
import { OptionError, parseGenerateOptions } from '../scripts/generator/options';
import type { GenerateOptions } from '../scripts/generator/options';

const ROOT = join(import.meta.dirname, '..');
const AMOUNT = /^\d+(\.\d{1,4})?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const PLATFORMS = new Set(['hubspot', 'salesforce', 'zapier', 'pipedrive', 'slack', 'intercom', 'zoho', 'web', 'mobile']);

let workDir = '';

function options(dir: string, overrides: Partial<GenerateOptions> = {}): GenerateOptions {
  return { accounts: 200, seed: 42, months: 12, startYear: 2024, startMonth: 1, usagePerAccount: 150, outDir: join(workDir, dir), ...overrides };
}

async function readDataset(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const f of DATASET_FILES) files.set(f.name, await readFile(join(dir, f.name), 'utf8'));
  return files;
}

/** Data rows as arrays of fields (the generator never quotes: no field holds a comma). */
function rows(text: string): string[][] {
  assert.ok(text.endsWith('\n'), 'file ends with a newline');
  return text.slice(0, -1).split('\n').slice(1).map((line) => line.split(','));
}

function field(row: string[], i: number): string {
  const value = row[i];
  assert.ok(value !== undefined, `column ${i} missing in ${row.join(',')}`);
  return value;
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'generator-test-'));
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

void describe('dataset generator', () => {
  let summary: DatasetSummary;
  let first: Map<string, string>;

  before(async () => {
    summary = await generateDataset(options('a'));
    first = await readDataset(join(workDir, 'a'));
  });

  void it('is deterministic: same arguments give byte-identical files', async () => {
    await generateDataset(options('b'));
    const second = await readDataset(join(workDir, 'b'));
    for (const f of DATASET_FILES) assert.equal(second.get(f.name), first.get(f.name), f.name);
  });

  void it('gives the same bytes whatever the chunking and backpressure of the writer', async () => {
    await generateDataset(options('tiny-chunks'), { writer: { chunkBytes: 7, highWaterMark: 16 } });
    const tiny = await readDataset(join(workDir, 'tiny-chunks'));
    for (const f of DATASET_FILES) assert.equal(tiny.get(f.name), first.get(f.name), f.name);
  });

  void it('differs with a different seed', async () => {
    await generateDataset(options('c', { seed: 43 }));
    const other = await readDataset(join(workDir, 'c'));
    for (const f of ['payments.csv', 'integrations.csv', 'calls.csv', 'sms.csv']) {
      assert.notEqual(other.get(f), first.get(f), f);
    }
  });

  void it('writes exactly the header of docs/decisions.md, "Input" in every file', () => {
    assert.deepEqual(DATASET_FILES.map((f) => [f.name, f.header]), [
      ['workspaces.csv', 'workspace_id,owner_id,member_ids'],
      ['payments.csv', 'payment_id,user_id,amount,currency,paid_at'],
      ['refunds.csv', 'refund_id,user_id,amount,currency,refunded_at,payment_id'],
      ['integrations.csv', 'event_id,user_id,platform,action,occurred_at'],
      ['calls.csv', 'call_id,user_id,platform,started_at,duration'],
      ['sms.csv', 'sms_id,user_id,platform,sent_at,segments'],
    ]);
    for (const f of DATASET_FILES) {
      assert.equal((first.get(f.name) ?? '').split('\n')[0], f.header, f.name);
    }
  });

  void it('has rows in every file, the right number of columns, unique ids and matching counts', () => {
    for (const f of DATASET_FILES) {
      const data = rows(first.get(f.name) ?? '');
      assert.ok(data.length > 0, `${f.name} has rows`);
      const width = f.header.split(',').length;
      for (const r of data) assert.equal(r.length, width, `${f.name}: ${r.join(',')}`);
      const ids = new Set(data.map((r) => field(r, 0)));
      assert.equal(ids.size, data.length, `${f.name}: ids are unique`);
      assert.equal(summary.files.find((s) => s.name === f.name)?.rows, data.length, `${f.name}: summary row count`);
    }
    assert.equal(rows(first.get('workspaces.csv') ?? '').length, 200);
    // ~150 usage rows per account, ~80 % calls.
    const calls = rows(first.get('calls.csv') ?? '').length;
    const sms = rows(first.get('sms.csv') ?? '').length;
    assert.ok(calls + sms > 200 * 100 && calls + sms < 200 * 200, `usage rows ${calls + sms}`);
    assert.ok(calls / (calls + sms) > 0.75 && calls / (calls + sms) < 0.85, 'calls share');
  });

  void it('writes amounts as positive decimals with at most 4 decimals', () => {
    for (const name of ['payments.csv', 'refunds.csv']) {
      for (const r of rows(first.get(name) ?? '')) {
        const amount = field(r, 2);
        assert.match(amount, AMOUNT, `${name}: ${r.join(',')}`);
        assert.ok(/[1-9]/.test(amount), `${name}: amount > 0 in ${r.join(',')}`);
        assert.ok(field(r, 3) === 'USD' || field(r, 3) === 'EUR');
      }
    }
  });

  void it('writes UTC timestamps that parse and lie within the months', () => {
    const from = Date.UTC(2024, 0, 1);
    const to = Date.UTC(2025, 0, 1);
    const columns: [string, number][] = [['payments.csv', 4], ['refunds.csv', 4], ['integrations.csv', 4], ['calls.csv', 3], ['sms.csv', 3]];
    for (const [name, col] of columns) {
      for (const r of rows(first.get(name) ?? '')) {
        const text = field(r, col);
        assert.match(text, TIMESTAMP, `${name}: ${r.join(',')}`);
        const ms = Date.parse(text);
        assert.ok(Number.isFinite(ms) && new Date(ms).toISOString() === text.replace('Z', '.000Z'), `${name}: ${text} is a real instant`);
        assert.ok(ms >= from && ms < to, `${name}: ${text} within the range`);
      }
    }
  });

  void it('keeps the columns within their SPEC formats', () => {
    const users = new Set<string>();
    for (const r of rows(first.get('workspaces.csv') ?? '')) {
      assert.match(field(r, 0), /^w\d+$/);
      assert.match(field(r, 1), /^u\d+$/);
      users.add(field(r, 1));
      for (const m of field(r, 2).split(';').filter(Boolean)) {
        assert.match(m, /^u\d+m\d$/);
        users.add(m);
      }
    }
    for (const r of rows(first.get('integrations.csv') ?? '')) {
      assert.ok(PLATFORMS.has(field(r, 2)) && field(r, 2) !== 'web' && field(r, 2) !== 'mobile', field(r, 2));
      assert.ok(field(r, 3) === 'connected' || field(r, 3) === 'disconnected');
      assert.ok(users.has(field(r, 1)), `integration user ${field(r, 1)} is in a workspace`);
    }
    for (const r of rows(first.get('calls.csv') ?? '')) {
      assert.ok(PLATFORMS.has(field(r, 2)), field(r, 2));
      assert.match(field(r, 4), /^\d+(\.0 seconds| s)?$/);
    }
    for (const r of rows(first.get('sms.csv') ?? '')) {
      assert.ok(PLATFORMS.has(field(r, 2)), field(r, 2));
      assert.match(field(r, 4), /^[0-6]$/);
    }
    const payments = new Map(rows(first.get('payments.csv') ?? '').map((r) => [field(r, 0), r]));
    for (const r of rows(first.get('refunds.csv') ?? '')) {
      const ref = field(r, 5);
      if (ref === '') continue;
      const paid = payments.get(ref);
      assert.ok(paid, `refund ${field(r, 0)} names an existing payment`);
      assert.equal(field(r, 1), field(paid, 1), 'same user');
      assert.equal(field(r, 3), field(paid, 3), 'same currency');
      assert.ok(field(r, 4) >= field(paid, 4), 'refunded after paid');
    }
  });

  void it('handles a range across a year boundary and no usage', async () => {
    const s = await generateDataset(options('d', { accounts: 50, startYear: 2023, startMonth: 11, months: 3, usagePerAccount: 0 }));
    const d = await readDataset(join(workDir, 'd'));
    assert.equal(d.get('calls.csv'), 'call_id,user_id,platform,started_at,duration\n');
    assert.equal(d.get('sms.csv'), 'sms_id,user_id,platform,sent_at,segments\n');
    assert.ok((s.files.find((f) => f.name === 'payments.csv')?.rows ?? 0) > 0);
    for (const r of rows(d.get('payments.csv') ?? '')) {
      assert.ok(field(r, 4) >= '2023-11-01T00:00:00Z' && field(r, 4) < '2024-02-01T00:00:00Z', field(r, 4));
    }
  });
});

void describe('generator options', () => {
  void it('accepts the documented defaults', () => {
    assert.deepEqual(parseGenerateOptions({ accounts: '10', seed: '1', out: '/tmp/x' }), {
      accounts: 10, seed: 1, months: 12, startYear: 2024, startMonth: 1, usagePerAccount: 150, outDir: '/tmp/x',
    });
  });

  void it('rejects bad values with a message naming the option and the value', () => {
    const cases: [Record<string, string>, string][] = [
      [{ accounts: 'abc' }, '--accounts must be a positive integer (got "abc")'],
      [{ accounts: '0' }, '--accounts must be a positive integer (got "0")'],
      [{ accounts: '1.5' }, '--accounts must be a positive integer (got "1.5")'],
      [{ seed: '-1' }, '--seed must be an integer from 0 to 4294967295 (got "-1")'],
      [{ seed: '4294967296' }, '--seed must be at most 4294967295 (got "4294967296")'],
      [{ months: '0' }, '--months must be a positive integer (got "0")'],
      [{ start: '2024-13' }, '--start must be a month YYYY-MM from 1970-01 (got "2024-13")'],
      [{ start: '24-01' }, '--start must be a month YYYY-MM from 1970-01 (got "24-01")'],
      [{ usagePerAccount: 'x' }, '--usage-per-account must be a non-negative integer (got "x")'],
      [{ out: ' ' }, '--out must name a directory (got "")'],
    ];
    for (const [bad, message] of cases) {
      assert.throws(() => parseGenerateOptions({ accounts: '10', seed: '1', out: '/tmp/x', ...bad }), (err: unknown) => {
        assert.ok(err instanceof OptionError);
        assert.equal(err.message, message);
        return true;
      });
    }
  });

  void it('the CLI prints the error and exits 1 on a bad argument, and has --help', () => {
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate.ts', '--accounts', 'abc', '--seed', '1', '--out', join(workDir, 'cli')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--accounts must be a positive integer \(got "abc"\)/);
    const help = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/generate.ts', '--help'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--usage-per-account <k>/);
  });
});
