// Runs the `attribution` CLI as a user does (client/bin.js in a process of its own) and collects
// what it printed and how it exited.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../common/config';

export interface CliResult {
  stdout: string;
  stderr: string;
  /** The exit code; null when a signal ended it. */
  code: number | null;
}

export interface CliRun {
  child: ChildProcess;
  /** Resolves once stdout contains `text`. */
  printed(text: string | RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<CliResult>;
}

export function startCli(env: NodeJS.ProcessEnv, args: string[]): CliRun {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'client', 'bin.js'), ...args], { env, cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of [...waiters]) w();
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ stdout, stderr, code })));
  const printed = (text: string | RegExp, timeoutMs = 120_000) =>
    new Promise<void>((resolve, reject) => {
      const matches = () => (typeof text === 'string' ? stdout.includes(text) : text.test(stdout));
      const timer = setTimeout(() => reject(new Error(`CLI did not print ${String(text)} within ${timeoutMs} ms:\n${stdout}\n${stderr}`)), timeoutMs);
      const check = () => {
        if (!matches()) return;
        clearTimeout(timer);
        waiters.splice(waiters.indexOf(check), 1);
        resolve();
      };
      waiters.push(check);
      check();
      void done.then(() => {
        clearTimeout(timer);
        if (!matches()) reject(new Error(`CLI exited before printing ${String(text)}:\n${stdout}\n${stderr}`));
      });
    });
  return { child, printed, done };
}

export function runCli(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return startCli(env, args).done;
}

/** A Node stack trace line ("    at fn (file:1:2)"): a user must never see one. */
export const STACK_TRACE = /^\s+at .+[:(]/m;

/**
 * Payments and refunds of a CSV dataset (no quoted cells, offsets allowed) dated in [from, to):
 * a run of that period writes one decision for each, per book.
 */
export function transactionsIn(datasetDir: string, from: string, to: string): number {
  const [start, end] = [Date.parse(from), Date.parse(to)];
  const count = (file: string) =>
    fs.readFileSync(path.join(datasetDir, file), 'utf8').trim().split('\n').slice(1)
      .map((line) => Date.parse(line.split(',')[4]!))
      .filter((at) => at >= start && at < end).length;
  return count('payments.csv') + count('refunds.csv');
}
