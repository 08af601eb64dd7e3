// attributionRun: one run — the transactions of [from, to) with cutoff as_of, under
// one model version, for a set of books. Steps: prepare (record the run, resolve users to
// accounts, choose shards) → build account contexts per shard → for each book, exclude
// unattributable users and attribute each shard → reconcile. The reports are written by the
// command that started the run, in its own process, from the ledger (docs/reports.md).
// Bounded: shards are capped (prepareRun), and at most `shardConcurrency` activities run at once,
// so the history stays far below its limits without continue-as-new (a 1,024-shard, 3-book run is
// about 4,100 activities, ~13k events). Data moves through Postgres; the payloads are ids and counts.
import { defineQuery, patched, proxyActivities, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconciliationRow } from '../activities/run';
import type { InputSource } from '../store/inputs';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import { rootCauseMessage } from '../common/rootCause';
import { basisOf, periodLabel } from '../common/period';
import type { RunKind } from '../common/temporalNames';
import { markRunning, setRunStatus } from './runAttributes';

/** ~0.8 GiB of worker memory at four shards in flight (bench/results.md); 2,000 needed ~1.5 GiB. */
export const DEFAULT_ACCOUNTS_PER_SHARD = 1000;
export const DEFAULT_SHARD_CONCURRENCY = 4;
/** A dead worker's activity moves after this; activities heartbeat every second (activities/heartbeat.ts). */
export const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 20;

export interface AttributionRunInput {
  kind: RunKind;
  rulesetYaml: string;
  rulesetSource: string;
  modelVersion: string;
  /** ISO instants; from null = from the beginning of time. */
  from: string | null;
  to: string;
  asOf: string;
  books: string[];
  /**
   * Ignored: kept so that inputs of runs started by older clients still parse. Reports are written
   * by the command, never by a worker (docs/reports.md).
   */
  outDir?: string | null;
  /** Accounts per shard (default DEFAULT_ACCOUNTS_PER_SHARD): bounds a shard activity's memory. */
  accountsPerShard?: number;
  /** Shard activities in flight at once (default DEFAULT_SHARD_CONCURRENCY). */
  shardConcurrency?: number;
  /** How long an activity may go without a heartbeat before it is retried elsewhere (default DEFAULT_HEARTBEAT_TIMEOUT_SECONDS). */
  heartbeatTimeoutSeconds?: number;
}

export interface RunProgress {
  phase: 'preparing' | 'contexts' | 'books' | 'reconciling' | 'reports' | 'completed' | 'failed';
  shardCount: number;
  accounts: number;
  contextShardsDone: number;
  bookShardsDone: number;
  bookShardsTotal: number;
  entriesWritten: number;
  linesWritten: number;
  drift: number;
}

export interface AttributionRunResult {
  runId: string;
  modelVersion: string;
  basis: string;
  dataVersion: number;
  /** What the run covered: the ingested file versions per dataset, up to its data version. */
  inputs: InputSource[];
  progress: RunProgress;
  reconciliation: ReconciliationRow[];
}

export const progressQuery = defineQuery<RunProgress>('progress');

const RUN_OUTCOMES_PATCH = 'record-run-outcomes';


/** Every activity heartbeats, so a dead worker is noticed within the heartbeat timeout. */
function runActivities(heartbeatTimeoutSeconds: number) {
  return proxyActivities<Activities>({
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${heartbeatTimeoutSeconds} seconds`,
    retry: { maximumAttempts: 10, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
  });
}

export async function attributionRun(input: AttributionRunInput): Promise<AttributionRunResult> {
  const info = workflowInfo();
  const activities = runActivities(input.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS);
  const { prepareRun, buildContextShard, learnRunModels, excludeUnattributable, attributeBookShard, reconcileRun } = activities;
  const progress: RunProgress = {
    phase: 'preparing', shardCount: 0, accounts: 0, contextShardsDone: 0, bookShardsDone: 0, bookShardsTotal: 0,
    entriesWritten: 0, linesWritten: 0, drift: 0,
  };
  setHandler(progressQuery, () => progress);
  markRunning({ kind: input.kind, period: periodLabel(input.from, input.to), modelVersion: input.modelVersion });

  try {
    const prepared = await prepareRun({
      runId: info.runId, workflowId: info.workflowId, kind: input.kind, rulesetYaml: input.rulesetYaml, rulesetSource: input.rulesetSource,
      modelVersion: input.modelVersion, from: input.from, to: input.to, asOf: input.asOf, books: input.books,
      accountsPerShard: input.accountsPerShard ?? DEFAULT_ACCOUNTS_PER_SHARD,
    });
    progress.shardCount = prepared.shardCount;
    if (patched(RUN_OUTCOMES_PATCH)) upsertMemo({ dataVersion: prepared.dataVersion, inputs: prepared.inputs.map((i) => `${i.dataset}: ${i.fileVersions} file version(s), ${i.rowsLoaded} rows`) });
    progress.accounts = prepared.accounts;
    const shards = Array.from({ length: prepared.shardCount }, (_, i) => i);
    const concurrency = input.shardConcurrency ?? DEFAULT_SHARD_CONCURRENCY;

    progress.phase = 'contexts';
    await forEachBounded(shards, concurrency, async (shard) => {
      await buildContextShard({ runId: prepared.runId, shard });
      progress.contextShardsDone += 1;
    });

    // Data-driven books learn once from every journey, before any shard weighs with what they learned.
    if (prepared.learnsModels) await learnRunModels({ runId: prepared.runId });

    progress.phase = 'books';
    progress.bookShardsTotal = input.books.length * (shards.length + 1);
    const tasks = input.books.flatMap((book) => [{ book, shard: null as number | null }, ...shards.map((shard) => ({ book, shard }))]);
    await forEachBounded(tasks, concurrency, async ({ book, shard }) => {
      const result = shard === null
        ? await excludeUnattributable({ runId: prepared.runId, book })
        : await attributeBookShard({ runId: prepared.runId, book, shard });
      progress.bookShardsDone += 1;
      progress.entriesWritten += result.entriesWritten;
      progress.linesWritten += result.linesWritten;
      progress.drift += result.drift;
    });

    progress.phase = 'reconciling';
    const reconciliation = await reconcileRun({ runId: prepared.runId });

    // Runs started before outcomes were recorded replay without the step (patched).
    if (patched(RUN_OUTCOMES_PATCH)) await activities.recordRunOutcome({ runId: info.runId, status: 'completed', ...totalsOf(progress), error: null });
    progress.phase = 'completed';
    setRunStatus('completed');
    return {
      runId: prepared.runId, modelVersion: prepared.modelVersion, basis: basisOf(input.from, input.to, input.asOf),
      dataVersion: prepared.dataVersion, inputs: prepared.inputs, progress, reconciliation,
    };
  } catch (error) {
    progress.phase = 'failed';
    setRunStatus('failed');
    // The month grid shows the failure's root cause; recording it must not hide the failure itself.
    if (patched(RUN_OUTCOMES_PATCH)) {
      await activities.recordRunOutcome({ runId: info.runId, status: 'failed', ...totalsOf(progress), error: rootCauseMessage(error) })
        .catch(() => undefined);
    }
    throw error;
  }
}

function totalsOf(progress: RunProgress) {
  return { entriesWritten: progress.entriesWritten, linesWritten: progress.linesWritten, drift: progress.drift };
}

/** Runs `work` over the items with at most `limit` in flight; deterministic (completion order is in history). */
async function forEachBounded<T>(items: ReadonlyArray<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}
