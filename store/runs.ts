// The runs' store (docs/cli-and-worker.md, "The store layer"): every statement on rulesets and
// attribution_runs. A run and its ruleset are written once, by prepareRun; the commands and the
// reports find runs through the lookups at the end. What runs wrote is in store/runResults.ts.
import type pg from 'pg';
import { parseRuleset, type Ruleset } from '../domain/ruleset';

type Db = pg.Pool | pg.PoolClient;

/** A run as stored, with its ruleset parsed: what every run activity starts from. */
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

interface StoredRunRow {
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

export async function loadRun(db: Db, runId: string): Promise<RunRecord> {
  const result = await db.query<StoredRunRow>(
    `SELECT r.*, s.yaml, s.source_name FROM attribution_runs r JOIN rulesets s USING (model_version) WHERE r.run_id = $1`,
    [runId],
  );
  const row = result.rows[0];
  if (!row) throw new Error(`Run ${runId} is not in attribution_runs; prepareRun must run first.`);
  return {
    runId: row.run_id, workflowId: row.workflow_id, kind: row.kind, modelVersion: row.model_version, basis: row.basis,
    dataVersion: Number(row.data_version ?? 0), ruleset: parseRuleset(row.yaml, row.source_name),
    periodFrom: row.period_from?.getTime() ?? null, periodTo: row.period_to.getTime(), asOf: row.as_of.getTime(),
    books: row.books, contextId: row.context_id, shardCount: row.shard_count,
  };
}

/** What prepareRun needs of a run it stored before (a retry): its context, shard count and data version. */
export async function storedRunShape(db: Db, runId: string): Promise<{ contextId: string; shardCount: number; dataVersion: number } | undefined> {
  const r = await db.query<{ context_id: string; shard_count: number; data_version: string }>(
    'SELECT context_id, shard_count, data_version::text FROM attribution_runs WHERE run_id = $1', [runId]);
  const row = r.rows[0];
  return row && { contextId: row.context_id, shardCount: row.shard_count, dataVersion: Number(row.data_version) };
}

export interface StoredRuleset {
  modelVersion: string;
  version: string;
  sourceName: string;
  yaml: string;
  /** The canonical JSON of the effective ruleset. */
  effectiveJson: string;
}

/** Stores a ruleset under its model version; the first one stored stays. */
export async function recordRuleset(db: Db, r: StoredRuleset): Promise<void> {
  await db.query(
    `INSERT INTO rulesets (model_version, version, source_name, yaml, effective) VALUES ($1, $2, $3, $4, $5::jsonb)
     ON CONFLICT (model_version) DO NOTHING`,
    [r.modelVersion, r.version, r.sourceName, r.yaml, r.effectiveJson],
  );
}

export interface NewRun {
  runId: string;
  workflowId: string;
  kind: string;
  modelVersion: string;
  basis: string;
  dataVersion: number;
  from: string | null;
  to: string;
  asOf: string;
  books: string[];
  contextId: string;
  shardCount: number;
}

/** Records a run once (a concurrent attempt's row stays); returns the stored shard count. */
export async function recordRun(db: Db, run: NewRun): Promise<number> {
  await db.query(
    `INSERT INTO attribution_runs (run_id, workflow_id, kind, model_version, basis, data_version, period_from, period_to, as_of, books, context_id, shard_count)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (run_id) DO NOTHING`,
    [run.runId, run.workflowId, run.kind, run.modelVersion, run.basis, run.dataVersion, run.from, run.to, run.asOf, run.books, run.contextId, run.shardCount],
  );
  const stored = await db.query<{ shard_count: number }>('SELECT shard_count FROM attribution_runs WHERE run_id = $1', [run.runId]);
  return stored.rows[0]!.shard_count;
}

/** The parsed ruleset stored under a model version. */
export async function loadRuleset(db: Db, modelVersion: string): Promise<Ruleset> {
  const row = await db.query<{ yaml: string; source_name: string }>('SELECT yaml, source_name FROM rulesets WHERE model_version = $1', [modelVersion]);
  if (!row.rows[0]) throw new Error(`No ruleset with model version ${modelVersion} in the database; run an attribution with it first.`);
  return parseRuleset(row.rows[0].yaml, row.rows[0].source_name);
}

/** The newest run, of a model version or of any. */
export async function latestRun(db: Db, modelVersion: string | null): Promise<{
  runId: string; modelVersion: string; basis: string; from: string | null; to: string; asOf: string; books: string[];
} | undefined> {
  const latest = await db.query<{ run_id: string; model_version: string; basis: string; period_from: Date | null; period_to: Date; as_of: Date; books: string[] }>(
    `SELECT run_id, model_version, basis, period_from, period_to, as_of, books FROM attribution_runs
      WHERE $1::text IS NULL OR model_version = $1 ORDER BY created_at DESC LIMIT 1`,
    [modelVersion],
  );
  const r = latest.rows[0];
  return r && {
    runId: r.run_id, modelVersion: r.model_version, basis: r.basis, from: r.period_from?.toISOString() ?? null,
    to: r.period_to.toISOString(), asOf: r.as_of.toISOString(), books: r.books,
  };
}

/** The model version of the newest run under another model version than `other`. */
export async function latestOtherModelVersion(db: Db, other: string): Promise<string | undefined> {
  const latest = await db.query<{ model_version: string }>(
    'SELECT model_version FROM attribution_runs WHERE model_version <> $1 ORDER BY created_at DESC LIMIT 1', [other]);
  return latest.rows[0]?.model_version;
}

export interface RunRow {
  runId: string;
  modelVersion: string;
  from: string | null;
  to: string;
  asOf: string;
  books: string[];
}

/** Runs of a model version (null: of any) whose period is exactly [from, to) when given, newest first. */
export async function runsOf(db: Db, modelVersion: string | null, period?: { from: string | null; to: string }): Promise<RunRow[]> {
  const result = await db.query<{ run_id: string; model_version: string; period_from: Date | null; period_to: Date; as_of: Date; books: string[] }>(
    `SELECT run_id, model_version, period_from, period_to, as_of, books FROM attribution_runs
      WHERE ($1::text IS NULL OR model_version = $1)
        AND ($2::boolean IS NOT TRUE OR (period_from IS NOT DISTINCT FROM $3::timestamptz AND period_to = $4::timestamptz))
      ORDER BY created_at DESC, run_id`,
    [modelVersion, period !== undefined, period?.from ?? null, period ? new Date(period.to) : null],
  );
  return result.rows.map((r) => ({
    runId: r.run_id, modelVersion: r.model_version, from: r.period_from?.toISOString() ?? null, to: r.period_to.toISOString(), asOf: r.as_of.toISOString(), books: r.books,
  }));
}

/** The newest data version among some runs (null when none is recorded). */
export async function dataVersionOf(db: Db, runIds: ReadonlyArray<string>): Promise<number | null> {
  if (runIds.length === 0) return null;
  const result = await db.query<{ v: string | null }>('SELECT max(data_version)::text AS v FROM attribution_runs WHERE run_id = ANY($1)', [[...runIds]]);
  return result.rows[0]?.v === null || result.rows[0]?.v === undefined ? null : Number(result.rows[0].v);
}
