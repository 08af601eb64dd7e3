// A run as stored in attribution_runs, with its ruleset parsed: what every run activity starts from.
import type pg from 'pg';
import { parseRuleset, type Ruleset } from '../../domain/ruleset';

export interface RunRecord {
  runId: string;
  workflowId: string;
  kind: string;
  modelVersion: string;
  /** `monthly` or `as_of:<instant>`: part of every ledger key this run writes (docs/operations.md). */
  basis: string;
  /** The newest ingested file version the run computed from. */
  dataVersion: number;
  ruleset: Ruleset;
  /** Epoch ms; null: from the beginning of time. */
  periodFrom: number | null;
  periodTo: number;
  asOf: number;
  books: string[];
  contextId: string;
  shardCount: number;
}

interface RunRow {
  run_id: string;
  workflow_id: string;
  kind: string;
  model_version: string;
  basis: string;
  data_version: string | null;
  period_from: Date | null;
  period_to: Date;
  as_of: Date;
  books: string[];
  context_id: string;
  shard_count: number;
  yaml: string;
  source_name: string;
}

export async function loadRun(db: pg.Pool | pg.PoolClient, runId: string): Promise<RunRecord> {
  const result = await db.query<RunRow>(
    `SELECT r.*, s.yaml, s.source_name FROM attribution_runs r JOIN rulesets s USING (model_version) WHERE r.run_id = $1`,
    [runId],
  );
  const row = result.rows[0];
  if (!row) throw new Error(`Run ${runId} is not in attribution_runs; prepareRun must run first.`);
  return {
    runId: row.run_id,
    workflowId: row.workflow_id,
    kind: row.kind,
    modelVersion: row.model_version,
    basis: row.basis,
    dataVersion: Number(row.data_version ?? 0),
    ruleset: parseRuleset(row.yaml, row.source_name),
    periodFrom: row.period_from?.getTime() ?? null,
    periodTo: row.period_to.getTime(),
    asOf: row.as_of.getTime(),
    books: row.books,
    contextId: row.context_id,
    shardCount: row.shard_count,
  };
}

/** SQL expression: the shard (0 … $shardCount − 1) of an account, a stable hash of its id. */
export const shardOf = (column: string, shardCountParam: string) => `(hashtext(${column}) & 2147483647) % ${shardCountParam}`;

/** SQL predicate: the instant lies in the run's period [from, to); from NULL means unbounded. */
export const inPeriod = (column: string, fromParam: string, toParam: string) =>
  `(${fromParam}::timestamptz IS NULL OR ${column} >= ${fromParam}::timestamptz) AND ${column} < ${toParam}::timestamptz`;
