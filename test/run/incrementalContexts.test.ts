// Incremental months (docs/decisions.md, "Contexts": incremental months): a month's contexts
// continued from the contexts stored at its start equal, row by row and column by column, the
// contexts built from every row, for every account of a generated dataset; and each reason to
// build fully (late rows before the previous cutoff, a membership file, other context parameters,
// contexts stored without what continuing needs, no stored contexts at all) builds fully.
// Real Postgres, one database per scenario.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { buildContextShard, prepareRun } from '../../activities/run';
import { DEFAULT_RULESET, planRun } from '../../client/commands/run';
import { generateDataset } from '../../scripts/generator/dataset';
import { parseGenerateOptions } from '../../scripts/generator/options';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-incremental-'));
const dataset = path.join(root, 'base');
const databases: TestDatabase[] = [];

before(async () => {
  await generateDataset(parseGenerateOptions({ accounts: '250', seed: '23', months: '4', start: '2024-01', usagePerAccount: '60', out: dataset }));
});
after(async () => {
  for (const db of databases) await db.drop();
  fs.rmSync(root, { recursive: true, force: true });
});

/** A fresh database with every file of `dir` loaded (again: a changed file loads as a new version). */
async function loaded(label: string, dir: string = dataset): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  databases.push(db);
  await load(db, dir);
  return db;
}

async function load(db: TestDatabase, dir: string): Promise<void> {
  const listing = await listDatasetFiles(dir);
  for (const f of listing.files) await loadCsvFile(db.pool, { dir, kind: f.kind, maxRejects: null, expectedLoadKey: f.loadKey });
}

function copyOfDataset(name: string): string {
  const dir = path.join(root, name);
  fs.cpSync(dataset, dir, { recursive: true });
  return dir;
}

/** A workspace owner with a payment in `month` (YYYY-MM) in the dataset's CSVs. */
function ownerPayingIn(dir: string, month: string): string {
  const csv = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const owners = new Set(csv('workspaces.csv').map((l) => l[1]));
  const payment = csv('payments.csv').find((l) => owners.has(l[1]) && (l[4] ?? '').startsWith(month));
  return payment![1]!;
}

interface BuiltRun {
  contextId: string;
  accounts: number;
  continued: number;
}

const MONTH_START = { jan: '2024-01-01', feb: '2024-02-01', mar: '2024-03-01', apr: '2024-04-01', may: '2024-05-01' } as const;

/** Prepares a run and builds every context shard of it; `from` null is a lifetime run. */
async function buildContexts(db: TestDatabase, from: string | null, to: string, ruleset: string = DEFAULT_RULESET): Promise<BuiltRun> {
  const plan = planRun({ ruleset, ...(from ? { from } : {}), to, asOf: to }, 'run');
  const runId = `incremental-${from}-${to}-${path.basename(ruleset)}-${Math.random().toString(36).slice(2)}`;
  const prepared = await prepareRun(db.pool, { ...plan.input, runId, workflowId: runId, accountsPerShard: 60 });
  let accounts = 0;
  let continued = 0;
  for (let shard = 0; shard < prepared.shardCount; shard++) {
    const result = await buildContextShard(db.pool, { runId, shard }, () => undefined);
    accounts += result.accounts;
    continued += result.continued ?? 0;
  }
  return { contextId: prepared.contextId, accounts, continued };
}

/** Every stored column of every context but the context id, by account. */
async function storedContexts(db: TestDatabase, contextId: string): Promise<Array<Record<string, unknown>>> {
  const rows = await db.pool.query('SELECT * FROM account_contexts WHERE context_id = $1 ORDER BY account_id', [contextId]);
  return rows.rows.map(({ context_id: _id, ...row }: Record<string, unknown>) => row);
}

async function assertSameContexts(a: [TestDatabase, BuiltRun], b: [TestDatabase, BuiltRun]): Promise<void> {
  const [left, right] = await Promise.all([storedContexts(a[0], a[1].contextId), storedContexts(b[0], b[1].contextId)]);
  assert.ok(left.length > 100, `only ${left.length} contexts`);
  assert.equal(left.length, right.length);
  for (let i = 0; i < left.length; i++) assert.deepEqual(left[i], right[i], `account ${String(right[i]?.account_id)}`);
}

describe('incremental months: continued contexts equal the full build', () => {
  let chain: TestDatabase;
  let full: TestDatabase;
  const chained = new Map<string, BuiltRun>();
  const fully = new Map<string, BuiltRun>();

  before(async () => {
    [chain, full] = await Promise.all([loaded('incremental_chain'), loaded('incremental_full')]);
    // Month after month, each continuing from the one before.
    for (const [from, to] of [[MONTH_START.jan, MONTH_START.feb], [MONTH_START.feb, MONTH_START.mar], [MONTH_START.mar, MONTH_START.apr], [MONTH_START.apr, MONTH_START.may]] as const) {
      chained.set(from, await buildContexts(chain, from, to));
    }
    // Latest month first: no month finds the one before it stored, so each is built fully.
    for (const [from, to] of [[MONTH_START.apr, MONTH_START.may], [MONTH_START.mar, MONTH_START.apr], [MONTH_START.feb, MONTH_START.mar]] as const) {
      fully.set(from, await buildContexts(full, from, to));
    }
  }, { timeout: 300_000 });

  it('the first month and every month without a stored previous month are built fully', () => {
    assert.equal(chained.get(MONTH_START.jan)!.continued, 0);
    for (const run of fully.values()) assert.equal(run.continued, 0);
  });

  for (const month of [MONTH_START.feb, MONTH_START.mar, MONTH_START.apr]) {
    it(`${month.slice(0, 7)}: continued from the previous month, the same contexts as built fully`, { timeout: 120_000 }, async () => {
      const run = chained.get(month)!;
      // Accounts without a transaction in the previous month have no stored context there.
      assert.ok(run.continued > 50 && run.continued < run.accounts, `${run.continued} of ${run.accounts} continued`);
      await assertSameContexts([chain, run], [full, fully.get(month)!]);
    });
  }

  it('a lifetime run stores contexts that the next month continues for nearly every account', { timeout: 120_000 }, async () => {
    const db = await loaded('incremental_lifetime');
    const lifetime = await buildContexts(db, null, MONTH_START.apr);
    const april = await buildContexts(db, MONTH_START.apr, MONTH_START.may);
    // Every April account that paid or was refunded before April; the others start in April.
    const before = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM account_contexts a JOIN account_contexts l ON l.context_id = $2 AND l.account_id = a.account_id
        WHERE a.context_id = $1`, [april.contextId, lifetime.contextId]);
    assert.ok(april.continued > 100, `${april.continued} of ${april.accounts} continued`);
    assert.equal(april.continued, before.rows[0]!.n);
    await assertSameContexts([db, april], [full, fully.get(MONTH_START.apr)!]);
  });
});

describe('incremental months: what builds fully', () => {
  it('a file loaded after the previous month with a row before its cutoff (a late payment)', { timeout: 120_000 }, async () => {
    const dir = copyOfDataset('late-before');
    const db = await loaded('incremental_late_before', dir);
    await buildContexts(db, MONTH_START.jan, MONTH_START.feb);
    // A late January payment of an owner who pays in February: their February net revenue moves.
    const user = ownerPayingIn(dir, '2024-02');
    fs.appendFileSync(path.join(dir, 'payments.csv'), `p-late-1,${user},10.0000,USD,2024-01-20T00:00:00Z\n`);
    fs.appendFileSync(path.join(dir, 'calls.csv'), `c-late-1,${user},web,2024-01-25T00:00:00Z,999\n`);
    await load(db, dir);
    const feb = await buildContexts(db, MONTH_START.feb, MONTH_START.mar);
    const reference = await loaded('incremental_late_before_full', dir);
    await assertSameContexts([db, feb], [reference, await buildContexts(reference, MONTH_START.feb, MONTH_START.mar)]);
    assert.equal(feb.continued, 0);
  });

  it('a file loaded after the previous month with rows after its cutoff only is continued over', { timeout: 120_000 }, async () => {
    const dir = copyOfDataset('late-after');
    const db = await loaded('incremental_late_after', dir);
    await buildContexts(db, MONTH_START.jan, MONTH_START.feb);
    const user = ownerPayingIn(dir, '2024-02');
    fs.appendFileSync(path.join(dir, 'payments.csv'), `p-late-2,${user},10.0000,USD,2024-02-20T00:00:00Z\n`);
    fs.appendFileSync(path.join(dir, 'integrations.csv'), `i-late-2,${user},zapier,connected,2024-02-21T00:00:00Z\n`);
    await load(db, dir);
    const feb = await buildContexts(db, MONTH_START.feb, MONTH_START.mar);
    assert.ok(feb.continued > 50, `${feb.continued} continued`);
    const reference = await loaded('incremental_late_after_full', dir);
    await assertSameContexts([db, feb], [reference, await buildContexts(reference, MONTH_START.feb, MONTH_START.mar)]);
  });

  it('a workspace file loaded after the previous month (membership)', { timeout: 120_000 }, async () => {
    const dir = copyOfDataset('membership');
    const db = await loaded('incremental_membership', dir);
    await buildContexts(db, MONTH_START.jan, MONTH_START.feb);
    // A member of one workspace listed under a second owner too: ambiguous from now on, so the
    // first owner's account loses that member's rows.
    const lines = fs.readFileSync(path.join(dir, 'workspaces.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const withMember = lines.find((l) => (l[2] ?? '') !== '')!;
    const otherOwner = lines.find((l) => l[1] !== withMember[1])![1]!;
    fs.appendFileSync(path.join(dir, 'workspaces.csv'), `w-extra,${otherOwner},${withMember[2]!.split(';')[0]!}\n`);
    await load(db, dir);
    const feb = await buildContexts(db, MONTH_START.feb, MONTH_START.mar);
    const reference = await loaded('incremental_membership_full', dir);
    await assertSameContexts([db, feb], [reference, await buildContexts(reference, MONTH_START.feb, MONTH_START.mar)]);
    assert.equal(feb.continued, 0);
  });

  it('a previous month built with other context parameters', { timeout: 120_000 }, async () => {
    const ruleset = path.join(root, 'sms-seconds.yaml');
    fs.writeFileSync(ruleset, fs.readFileSync(DEFAULT_RULESET, 'utf8').replace('sms_seconds_per_segment: 5', 'sms_seconds_per_segment: 7'));
    const db = await loaded('incremental_params');
    await buildContexts(db, MONTH_START.jan, MONTH_START.feb, ruleset);
    assert.equal((await buildContexts(db, MONTH_START.feb, MONTH_START.mar)).continued, 0);
    // Under the same parameters as January, February continues.
    assert.ok((await buildContexts(db, MONTH_START.feb, MONTH_START.mar, ruleset)).continued > 50);
  });

  it('contexts stored without what continuing needs (before migration 023)', { timeout: 120_000 }, async () => {
    const db = await loaded('incremental_legacy');
    const jan = await buildContexts(db, MONTH_START.jan, MONTH_START.feb);
    await db.pool.query('UPDATE account_contexts SET open_users = NULL, open_platforms = NULL, open_since = NULL WHERE context_id = $1', [jan.contextId]);
    assert.equal((await buildContexts(db, MONTH_START.feb, MONTH_START.mar)).continued, 0);
  });
});
