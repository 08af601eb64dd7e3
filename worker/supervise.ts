// The resident worker's supervisor (docs/cli-and-worker.md, "The resident worker"), started detached
// by `attribution stack up` (stack/residentWorker.ts) with the stack's endpoints in its
// environment. It runs worker/main.ts, appends its output to `<state>/logs/worker.log`, keeps
// `<state>/worker.json` current, and restarts the worker whenever it dies: after 1 s, doubling up
// to 30 s while it keeps dying young, back to 1 s once a worker lived a minute. SIGTERM or SIGINT
// stops the worker gracefully, then the supervisor. One supervisor per state folder: it holds
// `<state>/supervisor.pid`, and a second one started meanwhile leaves at once.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, PROJECT_ROOT } from '../common/config';
import {
  endpointsKey, processRuns, readWorkerStatus, residentWorkerPaths, SUPERVISOR_SCRIPT_NAME, WORKER_READY_LINE, WORKER_SCRIPT_NAME,
  writeWorkerStatus, type ResidentWorkerStatus,
} from '../stack/residentWorker';

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A worker that lived this long was healthy: the next restart is quick again. */
const HEALTHY_AFTER_MS = 60_000;
/** The log is rotated (one old copy kept) when the supervisor starts and it is larger. */
const MAX_LOG_BYTES = 20 * 1024 * 1024;

const config = loadConfig();
const { logFile, pidFile } = residentWorkerPaths(config.home);
fs.mkdirSync(path.dirname(logFile), { recursive: true });
if (!claimPidFile()) process.exit(0); // another supervisor serves this state folder
stopOrphanedWorker();
rotateLog();
const out = fs.createWriteStream(logFile, { flags: 'a' });
const note = (line: string) => out.write(`${new Date().toISOString()} [supervisor] ${line}\n`);

const status: ResidentWorkerStatus = {
  supervisorPid: process.pid, supervisorStartedAt: new Date().toISOString(),
  key: endpointsKey({ databaseUrl: config.databaseUrl ?? '', temporalAddress: config.temporalAddress ?? '', namespace: config.namespace, taskQueue: config.taskQueue }),
  workerPid: null, workerStartedAt: null, readyAt: null, restarts: 0, lastExit: null, stoppedAt: null,
};
let worker: ChildProcess | undefined;
let stopping = false;
let backoffMs = FIRST_BACKOFF_MS;
let restartTimer: NodeJS.Timeout | undefined;

function startWorker(): void {
  const startedAt = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, WORKER_SCRIPT_NAME)], {
    cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env,
  });
  worker = child;
  Object.assign(status, { workerPid: child.pid ?? null, workerStartedAt: new Date(startedAt).toISOString(), readyAt: null });
  writeWorkerStatus(config.home, status);
  note(`worker started (pid ${child.pid})`);
  child.once('error', (error) => note(`could not run the worker: ${error.message}`)); // 'exit' follows when it ran at all
  let recent = '';
  child.stdout!.on('data', (d: Buffer) => out.write(d));
  child.stderr!.on('data', (d: Buffer) => {
    out.write(d);
    recent = (recent + d.toString()).slice(-1000);
    if (!status.readyAt && recent.includes(WORKER_READY_LINE)) {
      status.readyAt = new Date().toISOString();
      writeWorkerStatus(config.home, status);
    }
  });
  child.once('exit', (code, signal) => {
    worker = undefined;
    Object.assign(status, { workerPid: null, readyAt: null, lastExit: { code, signal, at: new Date().toISOString(), afterReady: status.readyAt !== null } });
    writeWorkerStatus(config.home, status);
    note(`worker (pid ${child.pid}) exited with ${signal ?? `code ${code}`}`);
    if (stopping) return finish();
    backoffMs = Date.now() - startedAt > HEALTHY_AFTER_MS ? FIRST_BACKOFF_MS : backoffMs;
    note(`restarting it in ${backoffMs / 1000} s`);
    restartTimer = setTimeout(() => {
      status.restarts += 1;
      startWorker();
    }, backoffMs);
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  });
}

function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  note(`${signal}: stopping the worker`);
  clearTimeout(restartTimer);
  if (worker) worker.kill('SIGTERM'); // graceful: the SDK drains the worker, then worker.run() returns
  else finish();
}

function finish(): void {
  status.stoppedAt = new Date().toISOString();
  writeWorkerStatus(config.home, status);
  fs.rmSync(pidFile, { force: true });
  note('stopped');
  out.end(() => process.exit(0));
}

/** Takes `supervisor.pid` unless a live supervisor holds it (a stale one is taken over). */
function claimPidFile(): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(pidFile, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      const holder = Number(fs.readFileSync(pidFile, 'utf8')) || undefined;
      if (holder !== process.pid && processRuns(holder, SUPERVISOR_SCRIPT_NAME)) return false;
      fs.rmSync(pidFile, { force: true });
    }
  }
  return false;
}

/** A worker whose supervisor was killed outright (SIGKILL) still serves the queue: stop it first. */
function stopOrphanedWorker(): void {
  const previous = readWorkerStatus(config.home)?.workerPid;
  if (previous && processRuns(previous, WORKER_SCRIPT_NAME)) process.kill(previous, 'SIGTERM');
}

function rotateLog(): void {
  try {
    if (fs.statSync(logFile).size > MAX_LOG_BYTES) fs.renameSync(logFile, `${logFile}.1`);
  } catch {
    /* no log yet */
  }
}

writeWorkerStatus(config.home, status); // before the worker starts: commands see that a supervisor runs
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGHUP', () => undefined); // no terminal to lose: it runs detached
note(`supervisor started (pid ${process.pid}) for task queue "${config.taskQueue}" at ${config.temporalAddress ?? '?'}`);
startWorker();
