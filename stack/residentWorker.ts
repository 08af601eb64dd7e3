// The resident worker of the embedded default (docs/operations.md, "The resident worker"): a
// detached supervisor process (worker/supervise.ts) that runs `worker/main.ts` against the
// stack's Postgres and Temporal and restarts it, with a backoff, whenever it dies. It outlives
// the command that started it, so a detached backfill or a scheduled month runs to completion with
// no command in the foreground; `stack down` stops it.
//
// Two files in the state folder, each with one writer: `stack.json` (the CLI: which supervisor it
// started, for which endpoints) and `worker.json` (the supervisor: the worker's pid, since when,
// restarts, last exit). The log is `logs/worker.log`.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, type Config } from '../common/config';
import { isProcessAlive, stopProcessGroup } from './processes';
import type { Log } from './temporalCli';

/** What the worker prints once it polls its task queue (worker/main.ts). */
export const WORKER_READY_LINE = 'Worker serving task queue';

/** Written by the supervisor: the state of the worker it runs. */
export interface ResidentWorkerStatus {
  supervisorPid: number;
  supervisorStartedAt: string;
  workerPid: number | null;
  workerStartedAt: string | null;
  /** When the current worker process printed its ready line; null while it starts. */
  readyAt: string | null;
  restarts: number;
  /** The last worker exit; `afterReady` false: it died while starting (it will not get better by itself). */
  lastExit: { code: number | null; signal: string | null; at: string; afterReady: boolean } | null;
}

/** Recorded in stack.json by the command that started the supervisor. */
export interface ResidentWorkerRecord {
  supervisorPid: number;
  /** The endpoints it serves: a worker of other endpoints is replaced. */
  key: string;
}

export interface WorkerEndpoints {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
}

export function residentWorkerPaths(home: string): { logFile: string; statusFile: string } {
  return { logFile: path.join(home, 'logs', 'worker.log'), statusFile: path.join(home, 'worker.json') };
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

const SUPERVISOR_SCRIPT = path.join(PROJECT_ROOT, 'worker', 'supervise.ts');
/** How the worker's command line names its script (what `processRuns` looks for). */
export const WORKER_SCRIPT_NAME = 'worker/main.ts';

/** A digest, so that stack.json does not hold the database password. */
function endpointsKey(endpoints: WorkerEndpoints): string {
  const text = [endpoints.databaseUrl, endpoints.temporalAddress, endpoints.namespace, endpoints.taskQueue].join('\n');
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function supervisorAlive(record: ResidentWorkerRecord | undefined): boolean {
  return processRuns(record?.supervisorPid, 'worker/supervise.ts');
}

/**
 * Makes sure a supervisor for these endpoints runs; returns the record to keep in stack.json.
 * A supervisor for other endpoints (Temporal restarted on another port, another task queue) is
 * stopped and replaced. Does not wait for the worker to be ready: `waitForResidentWorker` does.
 */
export async function ensureResidentWorker(
  config: Config, record: ResidentWorkerRecord | undefined, endpoints: WorkerEndpoints, log: Log,
): Promise<ResidentWorkerRecord> {
  const key = endpointsKey(endpoints);
  if (record && supervisorAlive(record)) {
    if (record.key === key) return record;
    log(`Restarting the resident worker (pid ${record.supervisorPid}): the stack's endpoints changed`);
    await stopSupervisor(record.supervisorPid);
  }
  const { logFile } = residentWorkerPaths(config.home);
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', SUPERVISOR_SCRIPT], {
    cwd: PROJECT_ROOT,
    detached: true, // its own process group: Ctrl-C in this terminal does not reach it
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
  if (!child.pid) throw new Error(`Could not start the resident worker's supervisor (${SUPERVISOR_SCRIPT}).`);
  log(`Starting the resident worker (supervisor pid ${child.pid}, log ${logFile})`);
  return { supervisorPid: child.pid, key };
}

/**
 * Waits until the resident worker polls its task queue. Fails at once, with the end of its log,
 * when the worker exits before it is ready (bad code, a database it cannot reach), rather than
 * leaving a command waiting on work nobody picks up.
 */
export async function waitForResidentWorker(config: Config, record: ResidentWorkerRecord, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { logFile } = residentWorkerPaths(config.home);
  for (;;) {
    const status = readWorkerStatus(config.home);
    const mine = status?.supervisorPid === record.supervisorPid ? status : undefined;
    if (mine?.readyAt && processRuns(mine.workerPid, WORKER_SCRIPT_NAME)) return;
    if (mine?.lastExit && !mine.lastExit.afterReady && !mine.readyAt) {
      throw new Error(`The resident worker exited while starting (${exitText(mine.lastExit)}). The end of ${logFile}:\n${logTail(logFile)}`);
    }
    if (!supervisorAlive(record)) throw new Error(`The resident worker's supervisor (pid ${record.supervisorPid}) is not running. See ${logFile}; \`attribution stack up\` starts it again.`);
    if (Date.now() > deadline) throw new Error(`The resident worker did not become ready within ${Math.round(timeoutMs / 1000)} s. See ${logFile}.`);
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
 * Stops the supervisor and its worker (one process group; the worker shuts down gracefully), and
 * a worker left behind by a supervisor that was killed outright.
 */
export async function stopResidentWorker(config: Config, record: ResidentWorkerRecord | undefined, log: Log): Promise<void> {
  if (record && supervisorAlive(record)) {
    log(`Stopping the resident worker (supervisor pid ${record.supervisorPid})`);
    await stopSupervisor(record.supervisorPid);
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
