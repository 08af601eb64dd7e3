// The embedded Postgres superuser's password: random per state folder, in `<home>/postgres-password`,
// readable by its owner only. A superuser can run OS commands (`COPY ... FROM PROGRAM`), so a
// password shared by every install would let any local user in. State folders made before this
// had the fixed password `attribution-local`: on their next start the password is changed to a
// random one (docs/decisions.md, "Local credentials").
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { singleClient } from '../db/pool';

/** What every state folder made before random passwords used. Only ever tried to replace it. */
const LEGACY_PASSWORD = 'attribution-local';
const SUPERUSER = 'postgres';
const INVALID_PASSWORD = '28P01';

export function localPasswordFile(home: string): string {
  return path.join(home, 'postgres-password');
}

/** The state folder's password, made (0600) on first use; a file readable by others is narrowed to 0600. */
export function readOrCreateLocalPassword(home: string): string {
  const file = localPasswordFile(home);
  try {
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(file, `${crypto.randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  const password = fs.readFileSync(file, 'utf8').trim();
  if (password === '') throw new Error(`${file} is empty. Delete it and run \`attribution stack up\` again.`);
  return password;
}

async function canLogIn(port: number, password: string): Promise<boolean> {
  const client = singleClient({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  try {
    await client.connect();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === INVALID_PASSWORD) return false;
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Makes the running cluster use this state folder's password: a cluster still on the legacy
 * fixed password gets the random one (ALTER ROLE), once. Any other refusal is reported.
 */
export async function adoptLocalPassword(home: string, port: number, log: (line: string) => void = () => undefined): Promise<void> {
  const password = readOrCreateLocalPassword(home);
  if (await canLogIn(port, password)) return;
  if (!(await canLogIn(port, LEGACY_PASSWORD))) {
    throw new Error(`The embedded Postgres on port ${port} refuses the password in ${localPasswordFile(home)}. `
      + 'If you changed it by hand, put the current one in that file.');
  }
  const client = singleClient({ host: '127.0.0.1', port, user: SUPERUSER, password: LEGACY_PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    await client.query(`ALTER ROLE ${SUPERUSER} PASSWORD ${pg.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
  log(`Replaced the embedded Postgres superuser's old fixed password with a random one, kept in ${localPasswordFile(home)}`);
}

/** A connection URL fit to print: its password replaced by ***. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a connection string that is not a URL; not shown)';
  }
}
