// The contexts a shard activity stores (usage summed in Postgres inside the counting windows) must
// equal what the pure domain builds from the same rows in JS (buildAccountContext), for every
// account of a generated dataset and at two cutoffs, one of them mid-month so that windows and
// active periods are cut. Real Postgres.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Decimal } from 'decimal.js';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { buildContextShard, prepareRun } from '../../activities/run';
import { contextFromRow, type AccountContextRow } from '../../activities/run/contextRows';
import { DEFAULT_RULESET, planRun } from '../../client/commands/run';
import { buildAccountContext, contextParamsFromRuleset, type AccountContext, type AccountInput } from '../../domain/context';
import { parseAmountUnits } from '../../domain/money';
import { parseRuleset } from '../../domain/ruleset';
import { generateDataset } from '../../scripts/generator/dataset';
import { parseGenerateOptions } from '../../scripts/generator/options';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-context-shard-'));
let db: TestDatabase;

before(async () => {
  await generateDataset(parseGenerateOptions({ accounts: '250', seed: '11', months: '4', start: '2024-01', usagePerAccount: '60', out: dir }));
  db = await createTestDatabase('context_shard');
  const listing = await listDatasetFiles(dir);
  for (const f of listing.files) await loadCsvFile(db.pool, { dir, kind: f.kind, maxRejects: null, expectedLoadKey: f.loadKey });
});
after(async () => {
  await db?.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every row of each account's users before the cutoff, read row by row, as the domain takes them. */
async function accountInputs(contextId: string, asOf: Date): Promise<Map<string, AccountInput>> {
  const pool = db.pool;
  const users = `SELECT DISTINCT user_id, account_id FROM context_shard_users WHERE context_id = $1`;
  const q = (sql: string) => pool.query(sql, [contextId, asOf]);
  const [payments, refunds, events, calls, sms] = await Promise.all([
    q(`SELECT u.account_id, p.* FROM payments p JOIN (${users}) u USING (user_id) WHERE p.paid_at < $2`),
    q(`SELECT u.account_id, r.* FROM refunds r JOIN (${users}) u USING (user_id) WHERE r.refunded_at < $2`),
    q(`SELECT u.account_id, e.* FROM integration_events e JOIN (${users}) u USING (user_id) WHERE e.occurred_at < $2`),
    q(`SELECT u.account_id, c.* FROM calls c JOIN (${users}) u USING (user_id) WHERE c.started_at < $2`),
    q(`SELECT u.account_id, s.* FROM sms s JOIN (${users}) u USING (user_id) WHERE s.sent_at < $2`),
  ]);
  const inputs = new Map<string, AccountInput & { payments: unknown[]; refunds: unknown[]; integrationEvents: unknown[]; calls: unknown[]; sms: unknown[] }>();
  const of = (accountId: string) => {
    let input = inputs.get(accountId);
    if (!input) inputs.set(accountId, (input = { accountId, payments: [], refunds: [], integrationEvents: [], calls: [], sms: [] }));
    return input;
  };
  for (const r of payments.rows) of(r.account_id).payments.push({ id: r.payment_id, amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.paid_at.getTime() });
  for (const r of refunds.rows) of(r.account_id).refunds.push({ id: r.refund_id, amountUnits: parseAmountUnits(r.amount), currency: r.currency, at: r.refunded_at.getTime(), paymentId: r.payment_id });
  for (const r of events.rows) of(r.account_id).integrationEvents.push({ id: r.event_id, userId: r.user_id, platform: r.platform, action: r.action, at: r.occurred_at.getTime() });
  for (const r of calls.rows) of(r.account_id).calls.push({ userId: r.user_id, platform: r.platform, at: r.started_at.getTime(), durationSeconds: new Decimal(r.duration_seconds) });
  for (const r of sms.rows) of(r.account_id).sms.push({ userId: r.user_id, platform: r.platform, at: r.sent_at.getTime(), segments: r.segments });
  return inputs;
}

const comparable = (ctx: AccountContext) => ({
  ...ctx,
  netUnitsByCurrency: [...ctx.netUnitsByCurrency].map(([c, u]) => `${c} ${u}`),
  usageUnitsByPlatform: [...ctx.usageUnitsByPlatform].map(([p, u]) => `${p} ${u.toFixed()}`),
  connectionWindowsByPlatform: [...ctx.connectionWindowsByPlatform],
  // Not stored: the ledger does not need them.
  redundantConnects: 0,
});

describe('buildContextShard: usage summed in SQL equals the domain built from rows', () => {
  const cases = [
    { asOf: '2024-05-01T00:00:00.000Z' },
    { asOf: '2024-03-17T13:45:00.000Z' },
    // A month's run: contexts as of the month's end, for the accounts that paid or were refunded in it.
    { from: '2024-03-01T00:00:00.000Z', asOf: '2024-04-01T00:00:00.000Z' },
  ];
  for (const { from, asOf } of cases) {
    it(`at cutoff ${asOf}${from ? `, accounts with transactions from ${from}` : ''}`, { timeout: 120_000 }, async () => {
      const plan = planRun({ ruleset: DEFAULT_RULESET, ...(from ? { from } : {}), to: asOf, asOf }, 'run');
      const runId = `context-shard-${from}-${asOf}`;
      const prepared = await prepareRun(db.pool, { ...plan.input, runId, workflowId: runId, accountsPerShard: 60 });
      for (let shard = 0; shard < prepared.shardCount; shard++) await buildContextShard(db.pool, { runId, shard }, () => undefined);

      const { rows: [run] } = await db.pool.query<{ context_id: string }>('SELECT context_id FROM attribution_runs WHERE run_id = $1', [runId]);
      const stored = await db.pool.query<AccountContextRow>('SELECT * FROM account_contexts WHERE context_id = $1 ORDER BY account_id', [run!.context_id]);
      const inputs = await accountInputs(run!.context_id, new Date(asOf));
      const params = contextParamsFromRuleset(parseRuleset(plan.input.rulesetYaml, 'default'));
      const at = Date.parse(asOf);

      const expected = [...inputs.values()]
        .filter((i) => [...i.payments, ...i.refunds].some((t) => t.at >= (from ? Date.parse(from) : -Infinity)))
        .map((i) => comparable(buildAccountContext(i, { asOf: at, params })))
        .sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
      const actual = stored.rows.map((row) => comparable(contextFromRow(row, at)));
      assert.ok(actual.length > 120, `only ${actual.length} accounts with contexts`);
      if (from) assert.ok(actual.length < inputs.size - 20, 'the month should leave out accounts without transactions in it');
      assert.ok(actual.filter((c) => c.usageUnitsByPlatform.length > 1).length > 50, 'too few accounts with usage on several platforms');
      for (let i = 0; i < expected.length; i++) {
        // connection windows are not stored either
        const { connectionWindowsByPlatform: _w, ...want } = expected[i]!;
        const { connectionWindowsByPlatform: _a, ...got } = actual[i] ?? ({} as ReturnType<typeof comparable>);
        assert.deepEqual(got, want, `account ${want.accountId}`);
      }
      assert.equal(actual.length, expected.length);
    });
  }
});
