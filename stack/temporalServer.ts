// The Temporal dev server (`temporal server start-dev`), started detached so that it outlives the
// command that started it, with the project's search attributes registered and its state kept in
// a SQLite file in the state folder (runs survive a restart of the stack).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_REGISTRATIONS } from '../common/temporalNames';
import { waitFor } from './processes';

export interface DevServerOptions {
  cliPath: string;
  home: string;
  port: number;
  uiPort: number | undefined; // undefined: headless
  namespace: string;
  /** Keep state on disk (the default for `stack up`); tests use an in-memory server. */
  persist: boolean;
  extraArgs?: string[];
}

export async function startTemporalDevServer(options: DevServerOptions): Promise<{ pid: number; logFile: string }> {
  fs.mkdirSync(options.home, { recursive: true });
  const logFile = path.join(options.home, 'temporal.log');
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.persist) args.push('--db-filename', path.join(options.home, 'temporal.sqlite'));
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const attribute of SEARCH_ATTRIBUTE_REGISTRATIONS) args.push('--search-attribute', attribute);
  args.push(...(options.extraArgs ?? []));

  const out = fs.openSync(logFile, 'a');
  const child = spawn(options.cliPath, args, { detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error(`Could not start ${options.cliPath}; see ${logFile}.`);
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));

  await waitFor(
    'The Temporal dev server',
    async () => {
      if (exited !== null) throw new Error(`The Temporal dev server exited with ${exited}; see ${logFile}.`);
      return namespaceIsReady(`127.0.0.1:${options.port}`, options.namespace);
    },
    90_000,
    `See ${logFile}.`,
  );
  return { pid, logFile };
}

export async function namespaceIsReady(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
