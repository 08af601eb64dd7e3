// Worker processes for the Temporal mode of the bench: `worker/main.ts`, exactly what `npm run
// worker` runs in production, one OS process each, so that each one's memory can be measured.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../common/config';

export interface WorkerProcesses {
  pids(): number[];
  stop(): Promise<void>;
}

export interface WorkerEnv {
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  logFile: string;
}

export async function startWorkers(count: number, env: WorkerEnv): Promise<WorkerProcesses> {
  const children: ChildProcess[] = [];
  const log = fs.openSync(env.logFile, 'a');
  try {
    for (let i = 0; i < count; i++) children.push(await startOne(env, log, i + 1));
  } catch (error) {
    for (const child of children) child.kill('SIGKILL');
    throw error;
  }
  return {
    pids: () => children.filter((c) => c.exitCode === null && c.pid !== undefined).map((c) => c.pid!),
    async stop() {
      await Promise.all(children.map((child) => new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
      })));
      fs.closeSync(log);
    },
  };
}

async function startOne(env: WorkerEnv, log: number, n: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'worker', 'main.ts')], {
    env: {
      ...process.env, DATABASE_URL: env.databaseUrl, TEMPORAL_ADDRESS: env.temporalAddress,
      TEMPORAL_NAMESPACE: env.namespace, TEMPORAL_TASK_QUEUE: env.taskQueue,
    },
    stdio: ['ignore', log, 'pipe'],
    cwd: PROJECT_ROOT,
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${n} did not start within 90 s:\n${output}`)), 90_000);
    child.stderr!.on('data', (d: Buffer) => {
      try {
        fs.writeSync(log, d);
      } catch {
        // the log was closed after the worker stopped
      }
      if (output.length < 20_000) output += d.toString();
      if (output.includes('Worker serving')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker ${n} exited with ${code}:\n${output}`));
    });
  });
  return child;
}
