// All activities, built from their dependencies: the worker makes one pool and passes it in.
import { Context } from '@temporalio/activity';
import type pg from 'pg';
import { listDatasetFiles } from './ingest/datasetDir';
import { loadCsvFile, type LoadCsvFileInput, type LoadCsvFileResult } from './ingest/loadCsvFile';
import { listEventFiles, loadEvents, type LoadEventsInput, type LoadEventsResult } from './ingest/loadEvents';
import {
  attributeBookShard, buildContextShard, excludeUnattributable, learnRunModels, prepareRun, reconcileRun,
  type BookShardInput, type ContextShardInput, type LearnRunModelsInput, type PrepareRunInput,
} from './run';
import { writeReplayDiff, type ReplayDiffInput } from './reports/writeReplayDiff';
import { writeRunReports, type WriteReportsInput } from './reports/writeRunReports';

export interface ActivityDeps {
  pool: pg.Pool;
}

/**
 * Heartbeats while `work` runs, so that a worker that dies in the middle of a long statement is
 * noticed within the activity's heartbeat timeout instead of its start-to-close timeout.
 */
async function keepAlive<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), 1000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

export function createActivities({ pool }: ActivityDeps) {
  return {
    /** Lists the dataset's CSV files with their checksums; validates dataset.yaml. */
    async listDataset(input: { dir: string }) {
      return listDatasetFiles(input.dir);
    },

    /** Loads one file, all or nothing; heartbeats the rows read so far. */
    async loadCsvFile(input: LoadCsvFileInput): Promise<LoadCsvFileResult> {
      const context = Context.current();
      return loadCsvFile(pool, input, (rowsRead) => context.heartbeat({ file: input.kind, rowsRead }));
    },

    /** The NDJSON event files of a file or directory, with their load keys. */
    async listEventFiles(input: { path: string }) {
      return listEventFiles(input.path);
    },

    /** Loads one events file or stored HTTP batch, all or nothing; heartbeats through the long SQL steps too. */
    async loadEvents(input: LoadEventsInput): Promise<LoadEventsResult> {
      return keepAlive(() => loadEvents(pool, input));
    },

    /** Records the run and its ruleset, resolves users to accounts, decides the shard count. */
    async prepareRun(input: PrepareRunInput) {
      return keepAlive(() => prepareRun(pool, input));
    },

    /** Builds and stores the contexts of one shard of accounts; heartbeats accounts done. */
    async buildContextShard(input: ContextShardInput) {
      const context = Context.current();
      return buildContextShard(pool, input, (accounts) => context.heartbeat({ shard: input.shard, accounts }));
    },

    /** Once per run: what the data-driven books learn from every journey (Markov chain, Shapley coalitions). */
    async learnRunModels(input: LearnRunModelsInput) {
      return keepAlive(() => learnRunModels(pool, input));
    },

    /** Payments and refunds of unmatched or ambiguous users: excluded entries for one book. */
    async excludeUnattributable(input: { runId: string; book: string }) {
      return keepAlive(() => excludeUnattributable(pool, input));
    },

    /** One book over one shard: decisions and ledger lines; heartbeats accounts done. */
    async attributeBookShard(input: BookShardInput) {
      const context = Context.current();
      return attributeBookShard(pool, input, (accounts) => context.heartbeat({ book: input.book, shard: input.shard, accounts }));
    },

    /** Billing vs ledger per book and currency; fails the run above 0.01 % variance. */
    async reconcileRun(input: { runId: string }) {
      return keepAlive(() => reconcileRun(pool, input));
    },

    /** The CSV files and the summary of SPEC §10, from the ledger. */
    async writeRunReports(input: WriteReportsInput) {
      return keepAlive(() => writeRunReports(pool, input));
    },

    /** Old vs new model version per book and channel, and the accounts that moved most. */
    async writeReplayDiff(input: ReplayDiffInput) {
      return keepAlive(() => writeReplayDiff(pool, input));
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
