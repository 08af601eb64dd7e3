// Probe: what one decision costs under each book, in this process alone (no lanes side by side):
// deciding it (Node only), and writing it (formatting in Node and the COPY in Postgres, in a
// transaction rolled back afterwards). Prepares a run of the six books of rulesets/data-driven.yaml
// in process (contexts and learned models, no book shard), then decides and writes the first
// SHARDS shards under each book three times, keeping the fastest. Prints microseconds a decision.
//   npx tsx bench/probes/bookCosts.ts DIR [SHARDS]
import path from 'node:path';
import { listDatasetFiles } from '../../activities/ingest/datasetDir';
import { loadCsvFile } from '../../activities/ingest/loadCsvFile';
import { attributeBookShard, buildContextShard, excludeUnattributable, learnRunModels, prepareRun } from '../../activities/run';
import { decideAccount } from '../../activities/run/attributeShard';
import { contextFromRow, type AccountContextRow } from '../../activities/run/contextRows';
import { readShardTransactions, type AccountTransactions } from '../../activities/run/shardTransactions';
import { planRun } from '../../client/commands/run';
import { PROJECT_ROOT } from '../../common/config';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import type { BookName, LearnedModels } from '../../domain/books';
import type { AccountContext } from '../../domain/context';
import type { Ruleset } from '../../domain/ruleset';
import { withThrowawayStack } from '../../scripts/throwawayStack';
import { createDatabase } from '../harness';
import { readShardContexts } from '../../store/contexts';
import { readLearnedModels } from '../../store/learnedModelReads';
import { registerSurrogates, writeDecisions, type LedgerDecision } from '../../store/ledger';
import { loadRun, type RunRecord } from '../../store/runs';
import { newRunProgress, runSequence, type RunSteps } from '../../workflows/runSequence';
import type pg from 'pg';

const dir = process.argv[2]!;
const SHARDS = Number(process.argv[3] ?? 5);
const BOOKS: BookName[] = ['first_touch', 'usage_share', 'position_based', 'time_decay', 'markov', 'shapley'];
const REPEATS = 3;
const none = () => undefined;

/** The run up to its books: the sequence with shard passes that do nothing and no reconciliation. */
async function preparedRun(pool: pg.Pool, runId: string): Promise<RunRecord> {
  const steps: RunSteps = {
    prepareRun: (i) => prepareRun(pool, i), buildContextShard: (i) => buildContextShard(pool, i, none), learnRunModels: (i) => learnRunModels(pool, i),
    excludeUnattributable: (i) => excludeUnattributable(pool, i), attributeBookShard: (i) => attributeBookShard(pool, i, none),
    attributeShard: async (i) => ({ shard: i.shard, books: i.books.map((book) => ({ book, shard: i.shard, accounts: 0, entriesWritten: 0, linesWritten: 0, drift: 0 })) }),
    reconcileRun: async () => [], recordRunOutcome: async () => undefined,
  };
  const to = new Date('2025-01-01').toISOString();
  const plan = planRun({ ruleset: path.join(PROJECT_ROOT, 'rulesets', 'data-driven.yaml'), books: BOOKS.join(','), to, asOf: to }, 'run');
  await runSequence(steps, { ...plan.input, runId, workflowId: runId }, { progress: newRunProgress(), recordsOutcome: () => false });
  return loadRun(pool, runId);
}

function decideAll(ruleset: Ruleset, book: BookName, learned: LearnedModels | undefined, accounts: AccountContext[], transactions: Map<string, AccountTransactions>): LedgerDecision[] {
  const decisions: LedgerDecision[] = [];
  for (const ctx of accounts) decisions.push(...decideAccount(ruleset, book, learned, ctx, transactions.get(ctx.accountId)!));
  return decisions;
}

async function fastest(work: () => Promise<unknown> | unknown): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < REPEATS; i++) {
    const t0 = process.hrtime.bigint();
    await work();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return best;
}

await withThrowawayStack(async (stack) => {
  const pool = createPool(await createDatabase(stack.databaseUrl, 'probe_book_costs'));
  await migrate(pool);
  const listing = await listDatasetFiles(dir);
  await Promise.all(listing.files.map((f) => loadCsvFile(pool, { dir, kind: f.kind, maxRejects: null, expectedLoadKey: f.loadKey })));
  const run = await preparedRun(pool, 'probe-book-costs');
  const totals = new Map(BOOKS.map((book) => [book, { decisions: 0, decideMs: 0, writeMs: 0 }]));
  for (let shard = 0; shard < SHARDS; shard++) {
    const [rows, transactions, learned] = await Promise.all([readShardContexts<AccountContextRow>(pool, run.contextId, shard), readShardTransactions(pool, run, shard), readLearnedModels(pool, run.runId)]);
    const accounts = rows.map((row) => contextFromRow(row, run.asOf)).filter((ctx) => transactions.has(ctx.accountId));
    for (const book of BOOKS) {
      const total = totals.get(book)!;
      const decisions = decideAll(run.ruleset, book, learned, accounts, transactions);
      total.decisions += decisions.length;
      total.decideMs += await fastest(() => decideAll(run.ruleset, book, learned, accounts, transactions));
      await registerSurrogates(pool, run.runId, [decisions]);
      total.writeMs += await fastest(async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await writeDecisions(client, { runId: run.runId, modelVersion: run.modelVersion, basis: run.basis, book }, decisions);
        } finally {
          await client.query('ROLLBACK');
          client.release();
        }
      });
    }
  }
  const us = (ms: number, n: number) => `${((ms * 1000) / n).toFixed(1)} µs`;
  for (const [book, t] of totals) console.log(`${book.padEnd(15)} ${t.decisions} decisions: decide ${us(t.decideMs, t.decisions)}, write ${us(t.writeMs, t.decisions)} a decision`);
  await pool.end();
});
