// One pass per shard (activities/run/attributeShard.ts): deciding every book of a run in one
// activity per shard writes exactly the ledger that one activity per book and shard writes (the
// step of runs recorded before it), for a month and the next, whose refunds reverse payments of
// the earlier month under each book. A pass that finds some books done on its
// shard decides only the others and returns the stored results of the done ones; run again, it
// writes nothing; a re-run of the month under a new run stages every book in one transaction and
// appends nothing. Real Postgres, one database per way of running.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { attributeBookShard, attributeShard, buildContextShard, excludeUnattributable, learnRunModels, prepareRun } from '../../activities/run';
import { planRun } from '../../client/commands/run';
import { PROJECT_ROOT } from '../../common/config';
import { formatUnits, parseAmountUnits } from '../../domain/money';
import { generateDataset } from '../../scripts/generator/dataset';
import { parseGenerateOptions } from '../../scripts/generator/options';
import { ledgerChecksum } from '../../store/ledgerReads';
import { loadRun } from '../../store/runs';
import { readPriorAttributedPayments } from '../../activities/run/shardTransactions';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-shard-pass-'));
const RULESET = path.join(PROJECT_ROOT, 'rulesets', 'data-driven.yaml');
const databases: TestDatabase[] = [];
const none = () => undefined;
const books6 = ['first_touch', 'markov', 'position_based', 'shapley', 'time_decay', 'usage_share'];

before(async () => {
  await generateDataset(parseGenerateOptions({ accounts: '300', seed: '29', months: '4', start: '2024-01', usagePerAccount: '40', out: dir }));
  addPartialRefunds();
});

/**
 * Twenty February payments each refunded in two parts, a third in February and the rest in March,
 * so that the March run reverses payments of February's run under every book and must subtract
 * what February's refunds reversed to end at exactly zero per channel (the generated refunds
 * rarely cross a month).
 */
function addPartialRefunds(): void {
  const payments = fs.readFileSync(path.join(dir, 'payments.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const refunded = new Set(fs.readFileSync(path.join(dir, 'refunds.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[5]));
  const february = payments.filter(([id, , , , paidAt]) => !refunded.has(id) && paidAt! >= '2024-02-01' && paidAt! < '2024-02-20').slice(0, 20);
  assert.equal(february.length, 20);
  const rows = february.flatMap(([paymentId, userId, amount, currency], i) => {
    const third = parseAmountUnits(amount!) / 3n;
    return [
      `rx${i}a,${userId},${formatUnits(third)},${currency},2024-02-25T00:00:00Z,${paymentId}`,
      `rx${i}b,${userId},${formatUnits(parseAmountUnits(amount!) - third)},${currency},2024-03-10T00:00:00Z,${paymentId}`,
    ];
  });
  fs.appendFileSync(path.join(dir, 'refunds.csv'), `${rows.join('\n')}\n`);
}
after(async () => {
  for (const db of databases) await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function loaded(label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(label);
  databases.push(db);
  const listing = await listDatasetFiles(dir);
  for (const f of listing.files) await loadCsvFile(db.pool, { dir, kind: f.kind, maxRejects: null, expectedLoadKey: f.loadKey });
  return db;
}

/** A run prepared with its contexts built and its models learned: what the book steps start from. */
async function preparedRun(db: TestDatabase, runId: string, from: string, to: string) {
  const plan = planRun({ ruleset: RULESET, from, to, asOf: to }, 'run');
  const prepared = await prepareRun(db.pool, { ...plan.input, runId, workflowId: runId, accountsPerShard: 100 });
  for (let shard = 0; shard < prepared.shardCount; shard++) await buildContextShard(db.pool, { runId, shard }, none);
  if (prepared.learnsModels) await learnRunModels(db.pool, { runId });
  for (const book of plan.input.books) await excludeUnattributable(db.pool, { runId, book });
  return { prepared, books: plan.input.books };
}

// Two months of the monthly basis: March's refunds reverse what February's run attributed.
const PERIODS = [
  { label: 'february', from: '2024-02-01T00:00:00.000Z', to: '2024-03-01T00:00:00.000Z' },
  { label: 'march', from: '2024-03-01T00:00:00.000Z', to: '2024-04-01T00:00:00.000Z' },
];

describe('one pass per shard over every book', () => {
  const checksums: Record<string, string> = {};
  let modelVersion = '';
  let onePassDb: TestDatabase | undefined;

  it('one activity per book and shard (the earlier step): the reference ledger', { timeout: 300_000 }, async () => {
    const db = await loaded('shard_pass_per_book');
    for (const p of PERIODS) {
      const { prepared, books } = await preparedRun(db, `per-book-${p.label}`, p.from, p.to);
      for (const book of books) {
        for (let shard = 0; shard < prepared.shardCount; shard++) await attributeBookShard(db.pool, { runId: prepared.runId, book, shard }, none);
      }
      modelVersion = prepared.modelVersion;
    }
    checksums.perBook = (await ledgerChecksum(db.pool, modelVersion)).checksum;
    assert.match(checksums.perBook, /^[1-9]\d*\/[1-9]\d*\//);
    // March's part refunds reversed February's payments under every book.
    const reasons = await db.pool.query<{ book: string; n: number }>(
      `SELECT book, count(*)::int AS n FROM ledger_entries WHERE transaction_id LIKE 'rx%b' AND reason = 'refund_of_payment' GROUP BY book ORDER BY book`);
    assert.deepEqual(reasons.rows, books6.map((book) => ({ book, n: 20 })));
    // Refunded in full in two parts: nothing is left of those payments on any channel.
    const left = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT l.book, coalesce(r.payment_id, l.transaction_id) AS payment, l.channel
         FROM ledger_lines l LEFT JOIN refunds r ON l.kind = 'refund' AND r.refund_id = l.transaction_id
        WHERE l.transaction_id LIKE 'rx%' OR l.transaction_id IN (SELECT payment_id FROM refunds WHERE refund_id LIKE 'rx%')
        GROUP BY 1, 2, 3 HAVING sum(l.amount) <> 0) s`);
    assert.equal(left.rows[0]!.n, 0);
  });

  it('one pass per shard writes the same ledger; a pass finding a book done decides only the others; again, it writes nothing', { timeout: 300_000 }, async () => {
    const db = await loaded('shard_pass_one_pass');
    for (const p of PERIODS) {
      const { prepared, books } = await preparedRun(db, `one-pass-${p.label}`, p.from, p.to);
      assert.equal(books.length, 6);
      const runId = prepared.runId;
      // Shard 0: its second book was done by an earlier attempt (the per-book step).
      const doneBefore = await attributeBookShard(db.pool, { runId, book: books[1]!, shard: 0 }, none);
      const first = await attributeShard(db.pool, { runId, shard: 0, books }, none);
      assert.deepEqual(first.books.map((b) => b.book), books);
      const { ledgerWrite: _timing, ...doneCounts } = doneBefore;
      assert.deepEqual(first.books[1], doneCounts, 'the done book keeps its stored result');
      assert.equal(first.ledgerWrite!.lines, first.books.reduce((s, b) => s + b.linesWritten, 0) - doneCounts.linesWritten);
      const again = await attributeShard(db.pool, { runId, shard: 0, books }, none);
      assert.deepEqual(again, { shard: 0, books: first.books }, 'run again: the stored results, no write');
      for (let shard = 1; shard < prepared.shardCount; shard++) await attributeShard(db.pool, { runId, shard, books }, none);
    }
    checksums.onePass = (await ledgerChecksum(db.pool, modelVersion)).checksum;
    assert.equal(checksums.onePass, checksums.perBook);
    onePassDb = db;

    // March again under a new run: every book finds its keys written and stages, in one transaction.
    const { prepared, books } = await preparedRun(db, 'one-pass-march-again', PERIODS[1]!.from, PERIODS[1]!.to);
    for (let shard = 0; shard < prepared.shardCount; shard++) {
      const pass = await attributeShard(db.pool, { runId: prepared.runId, shard, books }, none);
      assert.deepEqual(pass.books.map((b) => [b.book, b.entriesWritten, b.drift]), books.map((book) => [book, 0, 0]));
    }
    assert.equal((await ledgerChecksum(db.pool, modelVersion)).checksum, checksums.perBook, 'a re-run appends nothing');
  });

  it('reads what earlier runs attributed under every book at once, as it reads each book alone', async () => {
    const db = onePassDb!;
    const run = await loadRun(db.pool, 'one-pass-march');
    const accounts = await db.pool.query<{ account_id: string }>("SELECT DISTINCT account_id FROM ledger_entries WHERE transaction_id LIKE 'rx%'");
    const accountIds = accounts.rows.map((r) => r.account_id);
    const together = await readPriorAttributedPayments(db.pool, run, books6, accountIds);
    for (const book of books6) {
      const alone = await readPriorAttributedPayments(db.pool, run, [book], accountIds);
      assert.deepEqual(together.get(book), alone.get(book), book);
      // February's payments with what February's refunds reversed of each.
      const payments = [...together.get(book)!.values()].flatMap((byPayment) => [...byPayment.values()]);
      assert.equal(payments.filter((p) => p.reversed.length > 0).length, 20, book);
    }
  });
});
