// All activities, built from their dependencies: the worker makes one pool and passes it in.
import { Context } from '@temporalio/activity';
import { withHeartbeat } from './heartbeat';
import type pg from 'pg';
import { listDatasetFiles } from './ingest/datasetDir';
import { loadCsvFile, type LoadCsvFileInput, type LoadCsvFileResult } from './ingest/loadCsvFile';
import { listEventFiles, loadEvents, type LoadEventsInput, type LoadEventsResult } from './ingest/loadEvents';
import {
  attributeBookShard, attributeShard, buildContextShard, excludeUnattributable, learnRunModels, prepareRun, reconcileRun,
  type BookShardInput, type ContextShardInput, type ShardInput, type LearnRunModelsInput, type PrepareRunInput,
} from './run';
import { monthGrid, type MonthGridKey } from '../store/monthStates';
import { recordRunOutcome, type RunOutcome } from '../store/runOutcomes';

export interface ActivityDeps {
  pool: pg.Pool;
}

/** Heartbeats every second while `work` runs (activities/heartbeat.ts). */
const keepAlive = <T>(work: () => Promise<T>): Promise<T> => withHeartbeat(() => work());

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
      return withHeartbeat((beat) => buildContextShard(pool, input, (accounts) => beat({ shard: input.shard, accounts })));
    },

    /** Once per run: what the data-driven books learn from every journey (Markov chain, Shapley coalitions). */
    async learnRunModels(input: LearnRunModelsInput) {
      return keepAlive(() => learnRunModels(pool, input));
    },

    /** Payments and refunds of unmatched or ambiguous users: excluded entries for one book. */
    async excludeUnattributable(input: { runId: string; book: string }) {
      return keepAlive(() => excludeUnattributable(pool, input));
    },

    /** Every book of the run over one shard, in one pass: decisions and ledger lines; heartbeats accounts done. */
    async attributeShard(input: ShardInput) {
      return withHeartbeat((beat) => attributeShard(pool, input, (accounts) => beat({ shard: input.shard, books: input.books.length, accounts })));
    },

    /** One book over one shard: the step of runs recorded before attributeShard (their histories replay). */
    async attributeBookShard(input: BookShardInput) {
      return withHeartbeat((beat) => attributeBookShard(pool, input, (accounts) => beat({ book: input.book, shard: input.shard, accounts })));
    },

    /** Billing vs ledger per book and currency; fails the run above 0.01 % variance. */
    async reconcileRun(input: { runId: string }) {
      return keepAlive(() => reconcileRun(pool, input));
    },

    /** How the run ended, for the month grid (written once). */
    async recordRunOutcome(input: RunOutcome) {
      return recordRunOutcome(pool, input);
    },

    /** The state of some months under a model version and books (monthly basis). */
    async monthStates(input: MonthGridKey & { months: string[] }) {
      return keepAlive(() => monthGrid(pool, input, input.months, { persist: true }));
    },
    // No report activity: reports are written by the command, from the ledger (docs/reports.md).
  };
}

export type Activities = ReturnType<typeof createActivities>;
