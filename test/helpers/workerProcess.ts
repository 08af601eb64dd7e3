// A worker in a process of its own (`worker/main.ts`), so that a test can kill it like a crash.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../common/config';

export interface WorkerProcess {
  child: ChildProcess;
  /** SIGKILL: no graceful shutdown, in-flight activities are lost mid-way. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startWorkerProcess(env: { databaseUrl: string; taskQueue: string }): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'worker', 'main.ts')], {
    env: { ...process.env, DATABASE_URL: env.databaseUrl, TEMPORAL_TASK_QUEUE: env.taskQueue },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('Worker serving')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}:\n${output}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
