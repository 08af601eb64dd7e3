// The resident worker of the embedded default (docs/cli-and-worker.md, "The resident worker"): a
// detached supervisor process (worker/supervise.ts) that runs `worker/main.ts` against the
// stack's Postgres and Temporal and restarts it, with a backoff, whenever it dies. It outlives
// the command that started it, so a detached backfill or a scheduled month runs to completion with
// no command in the foreground; `stack down` stops it.
//
// The supervisor is the one writer of `<state>/worker.json` (its pid, the endpoints it serves, the
// worker's pid, since when, restarts, last exit) and holds `<state>/supervisor.pid`, so that two
// commands starting one at the same moment end up with one. The log is `<state>/logs/worker.log`.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../common/config';
import { isProcessAlive, stopProcessGroup } from './processes';
import type { Log } from './temporalCli';

/** What the worker prints once it polls its task queue (worker/main.ts). */
export const WORKER_READY_LINE = 'Worker serving task queue';
/** How the command lines name the scripts (what `processRuns` looks for). */
export const WORKER_SCRIPT_NAME = 'worker/main.ts';
export const SUPERVISOR_SCRIPT_NAME = 'worker/supervise.ts';

/** Written by the supervisor: the state of the worker it runs. */
export interface ResidentWorkerStatus {
  supervisorPid: number;
  supervisorStartedAt: string;
  /** Which endpoints it serves (a digest: no password in the file). */
  key: string;
  workerPid: number | null;
  workerStartedAt: string | null;
  /** When the current worker process printed its ready line; null while it starts. */
  readyAt: string | null;
  restarts: number;
  /** The last worker exit; `afterReady` false: it died while starting (it will not get better by itself). */
  lastExit: { code: number | null; signal: string | null; at: string; afterReady: boolean } | null;
  /** Set when it stopped on request (`stack down`). */
  stoppedAt: string | null;
}

export interface WorkerEndpoints {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
}

export function residentWorkerPaths(home: string): { logFile: string; statusFile: string; pidFile: string } {
  return { logFile: path.join(home, 'logs', 'worker.log'), statusFile: path.join(home, 'worker.json'), pidFile: path.join(home, 'supervisor.pid') };
}

export function readWorkerStatus(home: string): ResidentWorkerStatus | undefined {
  try {
    return JSON.parse(fs.readFileSync(residentWorkerPaths(home).statusFile, 'utf8')) as ResidentWorkerStatus;
  } catch {
    return undefined;
  }
}

/** Atomic (write, then rename), so a reader never sees half a file. */
export function writeWorkerStatus(home: string, status: ResidentWorkerStatus): void {
  const file = residentWorkerPaths(home).statusFile;
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(status, null, 2) + '\n');
  fs.renameSync(`${file}.tmp`, file);
}

/** True when `pid` is alive and runs `script` (a recycled pid runs something else). */
export function processRuns(pid: number | null | undefined, script: string): boolean {
  if (!pid || !isProcessAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script);
  } catch {
    return true; // no /proc (macOS): trust the pid
  }
}

export function endpointsKey(endpoints: WorkerEndpoints): string {
  const text = [endpoints.databaseUrl, endpoints.temporalAddress, endpoints.namespace, endpoints.taskQueue].join('\n');
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The status of the supervisor that runs now, if one does. */
export function runningSupervisor(home: string): ResidentWorkerStatus | undefined {
  const status = readWorkerStatus(home);
  return status && processRuns(status.supervisorPid, SUPERVISOR_SCRIPT_NAME) ? status : undefined;
}

/**
 * Makes sure a supervisor for these endpoints runs. One for other endpoints (Temporal restarted
 * on another port, another task queue) is stopped and replaced. Does not wait for the worker to
 * be ready: `waitForResidentWorker` does.
 */
export async function ensureResidentWorker(config: Config, endpoints: WorkerEndpoints, log: Log): Promise<void> {
  const running = runningSupervisor(config.home);
  if (running?.key === endpointsKey(endpoints)) return;
  if (running) {
    log(`Restarting the resident worker (supervisor pid ${running.supervisorPid}): the stack's endpoints changed`);
    await stopSupervisor(running.supervisorPid);
  }
  const { logFile } = residentWorkerPaths(config.home);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, SUPERVISOR_SCRIPT_NAME)], {
    cwd: PROJECT_ROOT,
    detached: true, // its own session and process group: Ctrl-C in this terminal does not reach it
    stdio: 'ignore',
    env: {
      ...process.env,
      ATTRIBUTION_HOME: config.home,
      DATABASE_URL: endpoints.databaseUrl,
      TEMPORAL_ADDRESS: endpoints.temporalAddress,
      TEMPORAL_NAMESPACE: endpoints.namespace,
      TEMPORAL_TASK_QUEUE: endpoints.taskQueue,
    },
  });
  child.unref();
  if (!child.pid) throw new Error(`Could not start the resident worker's supervisor (${SUPERVISOR_SCRIPT_NAME}).`);
  log(`Starting the resident worker (supervisor pid ${child.pid}, log ${logFile})`);
}

/** A freshly spawned supervisor has this long to write its status before we call it dead. */
const SUPERVISOR_START_MS = 15_000;

/**
 * Waits until the resident worker polls its task queue. Fails at once, with the end of its log,
 * when the worker exits before it is ready (bad code, a database it cannot reach), rather than
 * leaving a command waiting on work nobody picks up.
 */
export async function waitForResidentWorker(config: Config, timeoutMs = 120_000): Promise<void> {
  const started = Date.now();
  const { logFile } = residentWorkerPaths(config.home);
  for (;;) {
    const status = runningSupervisor(config.home);
    if (status?.readyAt && processRuns(status.workerPid, WORKER_SCRIPT_NAME)) return;
    if (status?.lastExit && !status.lastExit.afterReady && !status.readyAt) {
      throw new Error(`The resident worker exited while starting (${exitText(status.lastExit)}). The end of ${logFile}:\n${logTail(logFile)}`);
    }
    if (!status && Date.now() - started > SUPERVISOR_START_MS) {
      throw new Error(`The resident worker's supervisor is not running. See ${logFile}; \`attribution stack up\` starts it again.`);
    }
    if (Date.now() - started > timeoutMs) throw new Error(`The resident worker did not become ready within ${Math.round(timeoutMs / 1000)} s. See ${logFile}.`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function exitText(exit: NonNullable<ResidentWorkerStatus['lastExit']>): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

function logTail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).map((l) => `  ${l}`).join('\n');
  } catch {
    return '  (no log)';
  }
}

/**
 * Stops the supervisor and its worker (the worker shuts down gracefully), and a worker left
 * behind by a supervisor that was killed outright.
 */
export async function stopResidentWorker(config: Config, log: Log): Promise<void> {
  const running = runningSupervisor(config.home);
  if (running) {
    log(`Stopping the resident worker (supervisor pid ${running.supervisorPid})`);
    await stopSupervisor(running.supervisorPid);
  }
  const orphan = readWorkerStatus(config.home)?.workerPid;
  if (orphan && processRuns(orphan, WORKER_SCRIPT_NAME)) {
    log(`Stopping a resident worker left without its supervisor (pid ${orphan})`);
    await stopProcessGroup(orphan, 15_000);
  }
}

/**
 * SIGTERM to the supervisor alone, which passes one SIGTERM on to the worker (the SDK drains on
 * the first signal and dies on a second, so the group is not signalled). What has not exited
 * within the grace period is killed, group and all.
 */
async function stopSupervisor(pid: number, graceMs = 20_000): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isProcessAlive(pid)) await stopProcessGroup(pid, 0);
}

/** What `stack status` says of the resident worker. */
export type ResidentWorkerView =
  | { state: 'external' } // TEMPORAL_ADDRESS: workers run elsewhere
  | { state: 'not started' }
  | { state: 'up'; pid: number; since: string; restarts: number; logFile: string }
  | { state: 'starting' | 'restarting'; restarts: number; lastExit: string | null; logFile: string }
  | { state: 'down'; logFile: string }; // its supervisor died

export function residentWorkerView(config: Config): ResidentWorkerView {
  if (config.temporalAddress) return { state: 'external' };
  const { logFile } = residentWorkerPaths(config.home);
  const status = readWorkerStatus(config.home);
  if (!status || status.stoppedAt) return { state: 'not started' };
  if (!processRuns(status.supervisorPid, SUPERVISOR_SCRIPT_NAME)) return { state: 'down', logFile };
  if (status.workerPid && status.readyAt && status.workerStartedAt && processRuns(status.workerPid, WORKER_SCRIPT_NAME)) {
    return { state: 'up', pid: status.workerPid, since: status.workerStartedAt, restarts: status.restarts, logFile };
  }
  const lastExit = status.lastExit && `${exitText(status.lastExit)} at ${status.lastExit.at}`;
  return { state: status.lastExit ? 'restarting' : 'starting', restarts: status.restarts, lastExit, logFile };
}
