// The bench's DuckDB peer (docs/benchmark.md, "The DuckDB peer"): the lifetime KrispCall analysis
// of the default ruleset as DuckDB SQL over a CSV dataset directory, timed from opening an
// in-memory database to the channel totals, CSV reading included. Its totals per (book, channel,
// currency) must equal the engine's ledger exactly; compareTotals says where they do not.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Decimal } from 'decimal.js';
import type { Ruleset } from '../../domain/ruleset';

/** The books the peer computes (sorted): the default books of the CSV shape. */
export const PEER_BOOKS = ['first_touch', 'position_based', 'usage_share'] as const;

export interface ChannelTotal {
  book: string;
  channel: string;
  currency: string;
  /** Signed, in units of 0.0001. */
  amountUnits: bigint;
}

export interface PeerStep {
  /** The table the statement creates (or `macros`). */
  name: string;
  seconds: number;
}

export interface PeerResult {
  seconds: number;
  steps: PeerStep[];
  totals: ChannelTotal[];
}

export interface PeerOptions {
  /** A CSV dataset directory in the generator's layout (the six files, no dataset.yaml). */
  datasetDir: string;
  /** Cutoff and end of the lifetime period (ISO 8601 instant). */
  asOf: string;
  ruleset: Ruleset;
}

const SQL_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'krispcall.sql');
const FILES = ['workspaces', 'payments', 'refunds', 'integrations', 'calls', 'sms'];

export async function runDuckdbPeer(o: PeerOptions): Promise<PeerResult> {
  checkDataset(o.datasetDir);
  const values = templateValues(o);
  const statements = splitStatements(fs.readFileSync(SQL_FILE, 'utf8')).map((sql) => fillTemplate(sql, values));
  const started = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const steps: PeerStep[] = [];
    for (const sql of statements) {
      const t0 = performance.now();
      await connection.run(sql);
      steps.push({ name: createdName(sql), seconds: (performance.now() - t0) / 1000 });
    }
    await refuseRepeatedReversals(connection);
    const totals = await readTotals(connection);
    return { seconds: (performance.now() - started) / 1000, steps, totals };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The SQL's scalar macros (ts_us, units, duration_units, channel), for testing them against the loader's parsers. */
export function macroStatements(o: PeerOptions): string[] {
  const values = templateValues(o);
  return splitStatements(fs.readFileSync(SQL_FILE, 'utf8')).filter((sql) => /^CREATE MACRO \w+\(s\)/.test(sql)).map((sql) => fillTemplate(sql, values));
}

function checkDataset(dir: string): void {
  if (fs.existsSync(path.join(dir, 'dataset.yaml'))) {
    throw new Error(`${dir} has a dataset.yaml; the DuckDB peer reads the generator's plain layout only (no column mapping, aliases or time zone).`);
  }
  const missing = FILES.filter((f) => !fs.existsSync(path.join(dir, `${f}.csv`)));
  if (missing.length > 0) throw new Error(`${dir} is not a CSV dataset: ${missing.map((f) => `${f}.csv`).join(', ')} missing.`);
}

/** The ruleset's values as SQL literals; weights and usage as integers over a common power of ten. */
function templateValues(o: PeerOptions): Record<string, string> {
  const r = o.ruleset;
  const books = [...r.default_books].sort();
  if (books.join() !== PEER_BOOKS.join()) {
    throw new Error(`the DuckDB peer computes the books ${PEER_BOOKS.join(', ')}; the ruleset's default books are ${books.join(', ')}.`);
  }
  const pb = r.books.position_based as Record<string, string> | undefined;
  if (!pb) throw new Error('the ruleset configures no position_based book; the peer computes the default books of the CSV shape.');
  const names = ['single', 'two_first', 'two_last', 'first', 'last', 'middle'];
  const positionScale = 10n ** BigInt(Math.max(0, ...names.map((n) => new Decimal(pb[n]!).decimalPlaces())));
  const sms = new Decimal(r.sms_seconds_per_segment);
  // Durations have at most 3 decimals; the segment's seconds may have more.
  const usageScale = 10n ** BigInt(Math.max(3, sms.decimalPlaces()));
  const asOfUs = BigInt(new Date(o.asOf).getTime()) * 1000n;
  return {
    dir: sqlString(path.resolve(o.datasetDir)).slice(1, -1),
    as_of_us: asOfUs.toString(),
    to_us: asOfUs.toString(),
    stop_at_first_refund: r.stop_at_first_refund ? 'true' : 'false',
    always_available: r.always_available.length > 0 ? r.always_available.map(sqlString).join(', ') : 'NULL',
    usage_scale: usageScale.toString(),
    sms_units_per_segment: scaled(sms, usageScale).toString(),
    ...Object.fromEntries(names.map((n) => [n, scaled(new Decimal(pb[n]!), positionScale).toString()])),
  };
}

const scaled = (d: Decimal, scale: bigint): bigint => BigInt(d.times(scale.toString()).toFixed(0));
const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;

function fillTemplate(sql: string, values: Record<string, string>): string {
  return sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`bench/peer/krispcall.sql: no value for {{${name}}}`);
    return value;
  });
}

/** Statements end with a semicolon at the end of a line; comment lines are dropped. */
function splitStatements(sql: string): string[] {
  const code = sql.split('\n').filter((line) => !line.trimStart().startsWith('--')).join('\n');
  return code.split(/;\s*\n/).map((s) => s.trim()).filter((s) => s.length > 0);
}

function createdName(sql: string): string {
  return /^CREATE (?:TABLE|MACRO) (\w+)/.exec(sql)?.[1] ?? sql.slice(0, 30);
}

/**
 * The peer splits a refund that names a payment by that payment's lines; the engine splits a
 * second refund of the same payment by what the first left of it, which this SQL does not do. The
 * generator refunds a payment at most once; a dataset that does otherwise is refused, not
 * compared wrongly.
 */
async function refuseRepeatedReversals(connection: DuckDBConnection): Promise<void> {
  const reader = await connection.runAndReadAll(
    `SELECT count(*)::BIGINT AS n FROM (SELECT payment_id FROM refunds WHERE payment_id IS NOT NULL GROUP BY payment_id HAVING count(*) > 1)`);
  const n = reader.getRowObjects()[0]?.n as bigint;
  if (n > 0n) throw new Error(`${n} payments are named by more than one refund; the DuckDB peer does not reproduce partial reversals in sequence.`);
}

async function readTotals(connection: DuckDBConnection): Promise<ChannelTotal[]> {
  const reader = await connection.runAndReadAll(
    'SELECT book, channel, currency, CAST(units AS VARCHAR) AS units FROM channel_totals ORDER BY book, currency, channel');
  return reader.getRowObjects().map((row) => ({
    book: String(row.book), channel: String(row.channel), currency: String(row.currency), amountUnits: BigInt(String(row.units)),
  }));
}

/** Every (book, channel, currency) whose totals differ, with both amounts; zero totals count as absent. */
export function compareTotals(engine: ReadonlyArray<ChannelTotal>, peer: ReadonlyArray<ChannelTotal>): string[] {
  const key = (t: ChannelTotal) => `${t.book} | ${t.channel} | ${t.currency}`;
  const byKey = (rows: ReadonlyArray<ChannelTotal>) => {
    const m = new Map<string, bigint>();
    for (const t of rows) m.set(key(t), (m.get(key(t)) ?? 0n) + t.amountUnits);
    return m;
  };
  const a = byKey(engine);
  const b = byKey(peer);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((k) => (a.get(k) ?? 0n) !== (b.get(k) ?? 0n))
    .map((k) => `${k}: engine ${formatUnits(a.get(k) ?? 0n)}, DuckDB ${formatUnits(b.get(k) ?? 0n)}`);
}

export function formatUnits(units: bigint): string {
  const sign = units < 0n ? '-' : '';
  const abs = units < 0n ? -units : units;
  return `${sign}${abs / 10000n}.${(abs % 10000n).toString().padStart(4, '0')}`;
}
