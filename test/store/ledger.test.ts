// The ledger's store (store/ledger.ts, docs/ledger.md): a fresh write COPYs straight in, a second
// write of stored keys inserts nothing and records drift only where a decision moved, entries are
// numbered in write order, and the balance check finds lines that do not sum to their entry.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { REASONS } from '../../domain/reasons';
import { reconcileBook, unbalancedEntries, writeDecisions, type LedgerDecision, type LedgerKey } from '../../store/ledger';
import { inTransaction } from '../../store/sql';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase('ledger_store');
});
after(async () => db.drop());

const KEY = { modelVersion: 'm#1', basis: 'monthly', book: 'first_touch' };
const at = (day: number) => Date.UTC(2024, 2, day);
const paid = (id: string, day: number, units: bigint, lines: Array<[string, bigint]>): LedgerDecision => ({
  transactionId: id, kind: 'payment', currency: 'USD', amountUnits: units, at: at(day), status: 'attributed', reason: REASONS.attributed,
  ruleName: null, lines: lines.map(([channel, amountUnits]) => ({ channel, amountUnits })), accountId: `acct-${id}`, userId: `user-${id}`,
});
const excluded = (id: string, day: number, units: bigint): LedgerDecision => ({
  ...paid(id, day, units, []), status: 'excluded', reason: REASONS.nonPositiveNetRevenue,
});

const write = (runId: string, decisions: LedgerDecision[], key: Omit<LedgerKey, 'runId'> = KEY) =>
  inTransaction(db.pool, (client: pg.PoolClient) => writeDecisions(client, { ...key, runId }, decisions));

async function lines(): Promise<string[]> {
  const r = await db.pool.query<{ row: string }>(
    `SELECT concat_ws('|', basis, transaction_id, channel, amount, currency, account_id, run_id) AS row FROM ledger_lines ORDER BY basis, transaction_id, channel`);
  return r.rows.map((x) => x.row);
}

describe('the ledger store', () => {
  it('writes a fresh shard straight in, read back exactly through the views, numbered by event time', async () => {
    const written = await write('r1', [paid('p2', 9, 100_001n, [['zapier', 1n], ['hubspot', 100_000n]]), paid('p1', 2, 50_000n, [['hubspot', 50_000n]]), excluded('p3', 5, 70_000n)]);
    assert.deepEqual({ ...written, ledgerWrite: undefined }, { entriesWritten: 3, linesWritten: 3, drift: 0, ledgerWrite: undefined });
    assert.equal(written.ledgerWrite.lines, 3);
    assert.deepEqual(await lines(), [
      'monthly|p1|hubspot|5.0000|USD|acct-p1|r1', 'monthly|p2|hubspot|10.0000|USD|acct-p2|r1', 'monthly|p2|zapier|0.0001|USD|acct-p2|r1']);
    const order = await db.pool.query<{ transaction_id: string }>('SELECT transaction_id FROM ledger_entry_rows ORDER BY entry_id');
    assert.deepEqual(order.rows.map((r) => r.transaction_id), ['p1', 'p3', 'p2']);
    const entry = await db.pool.query<{ amount: string; status: string; reason: string }>("SELECT amount::text, status, reason FROM ledger_entries WHERE transaction_id = 'p3'");
    assert.deepEqual(entry.rows, [{ amount: '7.0000', status: 'excluded', reason: 'non_positive_net_revenue' }]);
  });

  it('a retry of the same run inserts nothing and records no drift', async () => {
    const again = await write('r1', [paid('p1', 2, 50_000n, [['hubspot', 50_000n]])]);
    assert.deepEqual([again.entriesWritten, again.linesWritten, again.drift], [0, 0, 0]);
  });

  it('a re-run keeps the stored decisions, appends the new one and records drift for the one that moved', async () => {
    const rerun = await write('r2', [
      paid('p1', 2, 50_000n, [['hubspot', 50_000n]]), // unchanged
      paid('p2', 9, 100_001n, [['hubspot', 100_001n]]), // its lines moved
      paid('p4', 11, 20_000n, [['sms', 20_000n]]), // new
    ]);
    assert.deepEqual([rerun.entriesWritten, rerun.linesWritten, rerun.drift], [1, 1, 1]);
    assert.deepEqual(await lines(), [
      'monthly|p1|hubspot|5.0000|USD|acct-p1|r1', 'monthly|p2|hubspot|10.0000|USD|acct-p2|r1', 'monthly|p2|zapier|0.0001|USD|acct-p2|r1',
      'monthly|p4|sms|2.0000|USD|acct-p4|r2']);
    const drift = await db.pool.query('SELECT run_id, model_version, basis, book, kind, transaction_id, stored_run_id, stored, recomputed FROM ledger_drift');
    assert.deepEqual(drift.rows, [{
      run_id: 'r2', model_version: 'm#1', basis: 'monthly', book: 'first_touch', kind: 'payment', transaction_id: 'p2', stored_run_id: 'r1',
      stored: { status: 'attributed', reason: 'attributed', amount: '10.0001', account: 'acct-p2', lines: 'hubspot=10.0000,zapier=0.0001' },
      recomputed: { status: 'attributed', reason: 'attributed', amount: '10.0001', account: 'acct-p2', lines: 'hubspot=10.0001' },
    }]);
  });

  it('another basis is another key: the same transaction is written again there', async () => {
    const snapshot = await write('r3', [paid('p1', 2, 50_000n, [['hubspot', 50_000n]])], { ...KEY, basis: 'as_of:2024-04-01T00:00:00.000Z' });
    assert.deepEqual([snapshot.entriesWritten, snapshot.linesWritten, snapshot.drift], [1, 1, 0]);
    const ids = await db.pool.query<{ later: boolean }>(
      `SELECT (SELECT min(entry_id) FROM ledger_entry_rows JOIN ledger_runs USING (run_no) WHERE run_id = 'r3') > (SELECT max(entry_id) FROM ledger_entry_rows JOIN ledger_runs USING (run_no) WHERE run_id <> 'r3') AS later`);
    assert.equal(ids.rows[0]!.later, true); // a later write appends after every earlier one
  });

  it('finds attributed entries whose lines do not sum to their amount', async () => {
    const period = [new Date(Date.UTC(2024, 2, 1)), new Date(Date.UTC(2024, 3, 1))] as const;
    assert.deepEqual(await unbalancedEntries(db.pool, KEY, period[0], period[1]), []);
    await db.pool.query(
      `INSERT INTO ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, run_id)
       VALUES ('m#1', 'monthly', 'first_touch', 'refund', 'x1', 'a', 'u', 'USD', -3, '2024-03-20Z', 'attributed', 'refund_of_payment', 'manual'),
              ('m#1', 'monthly', 'first_touch', 'refund', 'x2', 'a', 'u', 'USD', -3, '2024-03-21Z', 'attributed', 'refund_of_payment', 'manual')`);
    await db.pool.query(
      `INSERT INTO ledger_lines (model_version, basis, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id)
       VALUES ('m#1', 'monthly', 'first_touch', 'refund', 'x2', 'hubspot', -2.5, 'USD', 'a', '2024-03-21Z', 'manual')`);
    const found = await unbalancedEntries(db.pool, KEY, period[0], period[1]);
    assert.deepEqual(found.sort((a, b) => a.transactionId.localeCompare(b.transactionId)), [
      { kind: 'refund', transactionId: 'x1', amount: '-3.0000', lines: null },
      { kind: 'refund', transactionId: 'x2', amount: '-3.0000', lines: '-2.5000' },
    ]);
    assert.deepEqual(await unbalancedEntries(db.pool, KEY, null, period[0]), []); // outside the period
  });

  it('reconciles a book in one read: totals by status and reason, and the count of unbalanced entries', async () => {
    // March holds p1 5.0000, p2 10.0001 and p4 2.0000 attributed, p3 7.0000 excluded, and the two
    // unbalanced refunds of −3 above; no payment is ingested here, so billing is 0 (the variance is
    // what the ledger holds beyond billing).
    const march = await reconcileBook(db.pool, KEY, new Date(Date.UTC(2024, 2, 1)), new Date(Date.UTC(2024, 3, 1)));
    assert.deepEqual(march, {
      rows: [{ book: 'first_touch', currency: 'USD', billingTotal: '0.0000', attributedTotal: '11.0001', excludedTotal: '7.0000',
        excludedByReason: { non_positive_net_revenue: '7.0000' }, variance: '-18.0001' }],
      unbalancedEntries: 2,
    });
    const earlier = await reconcileBook(db.pool, KEY, null, new Date(Date.UTC(2024, 2, 5)));
    assert.deepEqual(earlier, { rows: [{ book: 'first_touch', currency: 'USD', billingTotal: '0.0000', attributedTotal: '5.0000', excludedTotal: '0.0000', excludedByReason: {}, variance: '-5.0000' }], unbalancedEntries: 0 });
  });
});
