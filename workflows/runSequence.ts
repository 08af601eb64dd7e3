// The run sequence, written once (docs/cli-and-worker.md, "The run sequence"): prepare → the
// contexts of every shard → learnRunModels when a book learns from the run's journeys → per book,
// the unattributable users; per shard, one pass that decides every book → reconcile → the run's
// outcome. (Runs recorded before the one pass ran one activity per book and shard; they replay
// so.) The attributionRun workflow drives it with its activity proxies; the bench's direct mode
// with the activity functions called in-process. It is deterministic and imports nothing that the workflow sandbox
// lacks: the steps it calls and the hooks it reports to are given by the caller.
import type { Activities } from '../activities';
import type { BookShardResult, PreparedRun, PrepareRunInput, ReconciliationRow } from '../activities/run';
import { rootCauseMessage } from '../common/rootCause';

/** Four shards in flight: ~0.7 GiB of worker memory with three books, ~0.85 GiB with six (bench/results.md); 2,000 needed ~1.5 GiB. */
export const DEFAULT_ACCOUNTS_PER_SHARD = 1000;
export const DEFAULT_SHARD_CONCURRENCY = 4;

/** The step functions, shaped like the activities (a workflow passes its proxies as they are). */
export type RunSteps = Pick<Activities,
  'prepareRun' | 'buildContextShard' | 'learnRunModels' | 'excludeUnattributable' | 'attributeShard' | 'attributeBookShard' | 'reconcileRun' | 'recordRunOutcome'>;

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

/** What a run is asked to do: prepareRun's input, with the shard settings optional (defaults above). */
export type RunRequest = Omit<PrepareRunInput, 'accountsPerShard'> & { accountsPerShard?: number; shardConcurrency?: number };

/**
 * Where the caller takes part. Each hook is called at a fixed point of the sequence, so that a
 * workflow's commands (markers, memo, search attributes) keep their order in the history.
 */
export interface RunHooks {
  /** Updated in place as the run moves on (the workflow's progress query returns it). */
  progress: RunProgress;
  /** Right after prepareRun, before the shard count is known to anything else. */
  afterPrepare?: (prepared: PreparedRun) => void;
  /**
   * Asked once, before the books: whether each shard is one pass over every book (attributeShard),
   * or one activity per book and shard as runs recorded before it did (a workflow's patched()).
   * Absent: one pass.
   */
  onePassPerShard?: () => boolean;
  /** Asked after reconciliation, and when the run fails: whether to record the outcome (a workflow's patched()). */
  recordsOutcome: () => boolean;
  /** After the completed outcome was recorded. */
  completed?: () => void;
  /** When the run failed, before its outcome is recorded. */
  failed?: () => void;
}

export interface RunSequenceResult {
  prepared: PreparedRun;
  reconciliation: ReconciliationRow[];
}

export function newRunProgress(): RunProgress {
  return {
    phase: 'preparing', shardCount: 0, accounts: 0, contextShardsDone: 0, bookShardsDone: 0, bookShardsTotal: 0,
    entriesWritten: 0, linesWritten: 0, drift: 0,
  };
}

export async function runSequence(steps: RunSteps, request: RunRequest, hooks: RunHooks): Promise<RunSequenceResult> {
  const { progress } = hooks;
  try {
    const prepared = await steps.prepareRun({
      runId: request.runId, workflowId: request.workflowId, kind: request.kind, rulesetYaml: request.rulesetYaml,
      rulesetSource: request.rulesetSource, modelVersion: request.modelVersion, from: request.from, to: request.to, asOf: request.asOf,
      books: request.books, accountsPerShard: request.accountsPerShard ?? DEFAULT_ACCOUNTS_PER_SHARD,
    });
    progress.shardCount = prepared.shardCount;
    hooks.afterPrepare?.(prepared);
    progress.accounts = prepared.accounts;
    await attribute(steps, request, prepared, hooks);

    progress.phase = 'reconciling';
    const reconciliation = await steps.reconcileRun({ runId: prepared.runId });
    if (hooks.recordsOutcome()) await steps.recordRunOutcome({ runId: request.runId, status: 'completed', ...totalsOf(progress), error: null });
    progress.phase = 'completed';
    hooks.completed?.();
    return { prepared, reconciliation };
  } catch (error) {
    progress.phase = 'failed';
    hooks.failed?.();
    // The month grid shows the failure's root cause; recording it must not hide the failure itself.
    if (hooks.recordsOutcome()) {
      await steps.recordRunOutcome({ runId: request.runId, status: 'failed', ...totalsOf(progress), error: rootCauseMessage(error) })
        .catch(() => undefined);
    }
    throw error;
  }
}

/** Contexts per shard, the learned models when a book needs them, then every book over every shard. */
async function attribute(steps: RunSteps, request: RunRequest, prepared: PreparedRun, hooks: RunHooks): Promise<void> {
  const { progress } = hooks;
  const runId = prepared.runId;
  const shards = Array.from({ length: prepared.shardCount }, (_, i) => i);
  const concurrency = request.shardConcurrency ?? DEFAULT_SHARD_CONCURRENCY;

  progress.phase = 'contexts';
  await forEachBounded(shards, concurrency, async (shard) => {
    await steps.buildContextShard({ runId, shard });
    progress.contextShardsDone += 1;
  });

  // Data-driven books learn once from every journey, before any shard weighs with what they learned.
  if (prepared.learnsModels) await steps.learnRunModels({ runId });

  progress.phase = 'books';
  progress.bookShardsTotal = request.books.length * (shards.length + 1);
  const counted = (result: BookShardResult) => {
    progress.bookShardsDone += 1;
    progress.entriesWritten += result.entriesWritten;
    progress.linesWritten += result.linesWritten;
    progress.drift += result.drift;
  };
  const onePass = hooks.onePassPerShard?.() ?? true;
  type Task = { book: string; shard: null } | { book: string | null; shard: number };
  const tasks: Task[] = onePass
    ? [...request.books.map((book) => ({ book, shard: null })), ...shards.map((shard) => ({ book: null, shard }))]
    : request.books.flatMap((book): Task[] => [{ book, shard: null }, ...shards.map((shard) => ({ book, shard }))]);
  await forEachBounded(tasks, concurrency, async (task) => {
    if (task.shard === null) counted(await steps.excludeUnattributable({ runId, book: task.book }));
    else if (task.book !== null) counted(await steps.attributeBookShard({ runId, book: task.book, shard: task.shard }));
    else (await steps.attributeShard({ runId, shard: task.shard, books: request.books })).books.forEach(counted);
  });
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
