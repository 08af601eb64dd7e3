// prepareRun: records the run and its ruleset (store/runs.ts), resolves users to accounts once for
// the run's context (store/contexts.ts), and decides the number of account shards. Idempotent: a
// retry finds the stored run.
import crypto from 'node:crypto';
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';
import { learningPlan } from '../../domain/books';
import { contextParamsFromRuleset } from '../../domain/context';
import { canonicalJson, modelVersion as modelVersionOf, parseRuleset, RulesetError, type Ruleset } from '../../domain/ruleset';
import { basisOf } from '../../common/period';

import { assignShards, countAccounts, resolveUserAccounts } from '../../store/contexts';
import { currentDataVersion, inputsUpTo, type InputSource } from '../../store/inputs';
import { registerKeys } from '../../store/ledger';
import { recordRuleset, recordRun, storedRunShape } from '../../store/runs';

export interface PrepareRunInput {
  runId: string;
  workflowId: string;
  kind: string;
  rulesetYaml: string;
  rulesetSource: string;
  /** The model version the client derived the workflow id from; must match the ruleset. */
  modelVersion: string;
  from: string | null;
  to: string;
  asOf: string;
  books: string[];
  /** Accounts per shard; bounds the rows one activity holds in memory. */
  accountsPerShard: number;
}

export interface PreparedRun {
  runId: string;
  modelVersion: string;
  contextId: string;
  shardCount: number;
  accounts: number;
  /** The data version the run computes from, and the inputs it covers (docs/operations.md, "Scope"). */
  dataVersion: number;
  inputs: InputSource[];
  /** Whether a book of the run learns from the run's journeys first (learnRunModels). */
  learnsModels: boolean;
}

// Shards bound a worker's memory (~1000 accounts × 4 activities at once: ~0.9 GiB peak RSS at
// 1000 accounts a shard, ~1.5 GiB at 2000, measured by the bench); the cap bounds the history.
const MAX_SHARDS = 1024;

export async function prepareRun(pool: pg.Pool, input: PrepareRunInput): Promise<PreparedRun> {
  const ruleset = parseRulesetOrFail(input.rulesetYaml, input.rulesetSource);
  const modelVersion = modelVersionOf(ruleset);
  if (modelVersion !== input.modelVersion) {
    throw inputFailure(ErrorType.InvalidRun, `The ruleset's model version is ${modelVersion}, but the run was started for ${input.modelVersion}.`);
  }
  for (const book of input.books) {
    if (!(book in ruleset.books)) {
      throw inputFailure(ErrorType.InvalidRun, `Book "${book}" is not configured in ${input.rulesetSource} (configured: ${Object.keys(ruleset.books).join(', ')}).`);
    }
  }

  const existing = await storedRunShape(pool, input.runId);
  if (existing) {
    const { contextId, shardCount, dataVersion } = existing;
    await assignShards(pool, contextId, shardCount); // a retry after a crash between the two
    return {
      runId: input.runId, modelVersion, contextId, shardCount, dataVersion,
      accounts: await countAccounts(pool, contextId, input.from, input.to), inputs: await inputsUpTo(pool, dataVersion),
      learnsModels: learnsModels(ruleset, input.books),
    };
  }

  await recordRuleset(pool, {
    modelVersion, version: ruleset.version, sourceName: input.rulesetSource, yaml: input.rulesetYaml, effectiveJson: canonicalJson(ruleset),
  });
  const dataVersion = await currentDataVersion(pool);
  if (dataVersion === 0) {
    throw inputFailure(ErrorType.InvalidRun, 'The database holds no input yet: nothing to attribute. Load a dataset first (attribution ingest <dir> or attribution ingest-events <file>).');
  }
  const contextId = contextIdFor(ruleset, input, dataVersion);
  await resolveUserAccounts(pool, contextId);
  const accounts = await countAccounts(pool, contextId, input.from, input.to);
  const shardCount = Math.min(MAX_SHARDS, Math.max(1, Math.ceil(accounts / input.accountsPerShard)));
  const basis = basisOf(input.from, input.to, input.asOf);
  // A concurrent attempt may have stored the run first: its shard count is the one that counts.
  const storedShards = await recordRun(pool, {
    runId: input.runId, workflowId: input.workflowId, kind: input.kind, modelVersion, basis, dataVersion,
    from: input.from, to: input.to, asOf: input.asOf, books: input.books, contextId, shardCount,
  });
  await registerKeys(pool, modelVersion, basis, input.books);
  await assignShards(pool, contextId, storedShards);
  return {
    runId: input.runId, modelVersion, contextId, shardCount: storedShards, accounts, dataVersion,
    inputs: await inputsUpTo(pool, dataVersion), learnsModels: learnsModels(ruleset, input.books),
  };
}

function learnsModels(ruleset: Ruleset, books: ReadonlyArray<string>): boolean {
  const plan = learningPlan(ruleset, books);
  return plan.markovOrder !== null || plan.shapleyMaxChannels !== null;
}

function parseRulesetOrFail(yaml: string, source: string): Ruleset {
  try {
    return parseRuleset(yaml, source);
  } catch (error) {
    if (error instanceof RulesetError) throw inputFailure(ErrorType.InvalidRuleset, error.message);
    throw error;
  }
}

/**
 * Contexts depend on the cutoff, the context parameters of the ruleset and the input data. The
 * data version is the newest ingested file: new data gives new contexts (and, for a re-run,
 * decisions that may differ from the stored ones: drift). They are built for the accounts with a
 * transaction in the run's period (the only ones a book decides), so the period is part of the
 * id: runs of one period and cutoff (every book, every model version, replays) share them, and a
 * month's run does not build the contexts of the accounts that paid nothing that month.
 */
export function contextIdFor(ruleset: Ruleset, run: Pick<PrepareRunInput, 'asOf' | 'from' | 'to'>, dataVersion: number): string {
  const asOf = run.asOf;
  const params = contextParamsFromRuleset(ruleset);
  const key = canonicalJson({
    asOf: new Date(asOf).toISOString(),
    alwaysAvailable: params.alwaysAvailable,
    smsSecondsPerSegment: params.smsSecondsPerSegment.toString(),
    stopAtFirstRefund: params.stopAtFirstRefund,
    dataVersion: String(dataVersion),
    accountsWithTransactionsIn: [run.from === null ? null : new Date(run.from).toISOString(), new Date(run.to).toISOString()],
  });
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
}
