// attributionRun: one run — the transactions of [from, to) with cutoff as_of, under
// one model version, for a set of books. Steps: prepare (record the run, resolve users to
// accounts, choose shards) → build account contexts per shard → for each book, exclude
// unattributable users and attribute each shard → reconcile → record the outcome; the sequence
// itself is workflows/runSequence.ts, shared with the bench's direct mode. The reports are written
// by the command that started the run, in its own process, from the ledger (docs/reports.md).
// Bounded: shards are capped (prepareRun), and at most `shardConcurrency` activities run at once,
// so the history stays far below its limits without continue-as-new (a 1,024-shard, 3-book run is
// about 4,100 activities, ~13k events). Data moves through Postgres; the payloads are ids and counts.
import { defineQuery, patched, proxyActivities, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReconciliationRow } from '../activities/run';
import type { InputSource } from '../store/inputs';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import { basisOf, periodLabel } from '../common/period';
import type { RunKind } from '../common/temporalNames';
import { markRunning, setRunStatus } from './runAttributes';
import { newRunProgress, runSequence, type RunProgress } from './runSequence';

export { DEFAULT_ACCOUNTS_PER_SHARD, DEFAULT_SHARD_CONCURRENCY, type RunProgress } from './runSequence';
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
/** Runs recorded before one pass per shard decided every book replay with one activity per book and shard. */
const ONE_PASS_PER_SHARD_PATCH = 'one-pass-per-shard';

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
  const progress = newRunProgress();
  setHandler(progressQuery, () => progress);
  markRunning({ kind: input.kind, period: periodLabel(input.from, input.to), modelVersion: input.modelVersion });

  // The sequence is workflows/runSequence.ts; the patched() guards stay here, at the points it asks.
  // Runs started before outcomes were recorded replay without the memo and the outcome step.
  const { prepared, reconciliation } = await runSequence(activities, { ...input, runId: info.runId, workflowId: info.workflowId }, {
    progress,
    afterPrepare: (p) => {
      if (patched(RUN_OUTCOMES_PATCH)) upsertMemo({ dataVersion: p.dataVersion, inputs: p.inputs.map((i) => `${i.dataset}: ${i.fileVersions} file version(s), ${i.rowsLoaded} rows`) });
    },
    onePassPerShard: () => patched(ONE_PASS_PER_SHARD_PATCH),
    recordsOutcome: () => patched(RUN_OUTCOMES_PATCH),
    completed: () => setRunStatus('completed'),
    failed: () => setRunStatus('failed'),
  });
  return {
    runId: prepared.runId, modelVersion: prepared.modelVersion, basis: basisOf(input.from, input.to, input.asOf),
    dataVersion: prepared.dataVersion, inputs: prepared.inputs, progress, reconciliation,
  };
}
