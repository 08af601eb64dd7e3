// The bearer token of `attribution serve` (docs/decisions.md, "serve"). A token is generated once
// per state folder into `<home>/serve-token` (readable by its owner only), unless one is given
// with --token or ATTRIBUTION_SERVE_TOKEN. Bound beyond loopback the server refuses every request
// without it; on loopback it is accepted and checked when sent (a wrong token is always refused),
// and required with --require-token.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';

export function serveTokenFile(home: string): string {
  return path.join(home, 'serve-token');
}

/** The state folder's token, made on first use (0600); a file readable by others is narrowed to 0600. */
export function readOrCreateServeToken(home: string): string {
  const file = serveTokenFile(home);
  fs.mkdirSync(home, { recursive: true });
  try {
    fs.writeFileSync(file, `${crypto.randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token.length < 16) throw new Error(`${file} holds no usable token (at least 16 characters). Delete it to get a new one.`);
  return token;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export type TokenCheck = { ok: true } | { ok: false; status: 401; error: string };

const digest = (text: string) => crypto.createHash('sha256').update(text, 'utf8').digest();

/** `Authorization: Bearer <token>`, compared in constant time. */
export function checkToken(request: http.IncomingMessage, token: string, required: boolean): TokenCheck {
  const header = request.headers.authorization;
  if (header === undefined) {
    return required ? { ok: false, status: 401, error: 'this server needs its token: send "Authorization: Bearer <token>" (the token is in the serve-token file of the server\'s state folder)' } : { ok: true };
  }
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match || !crypto.timingSafeEqual(digest(match[1]!), digest(token))) {
    return { ok: false, status: 401, error: 'wrong token: send "Authorization: Bearer <token>" with the token of this server' };
  }
  return { ok: true };
}
