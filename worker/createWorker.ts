// Builds a worker for the project's task queue: the workflow bundle plus the activities, which
// share one Postgres pool. Used by `npm run worker`, by the CLI's in-process worker and by tests.
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type pg from 'pg';
import { createActivities } from '../activities';

const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per process (webpack takes a few seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return bundle;
}

const quietBundlerLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (message: string) => console.warn(message), error: (message: string) => console.error(message),
};

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  pool: pg.Pool;
  /** Activities run at once; keep it at or below the pool size. */
  maxConcurrentActivities?: number;
}

export async function createWorker(options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ pool: options.pool }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 8,
    maxCachedWorkflows: 100,
    // On SIGTERM, let short activities finish, then cancel the rest: shard activities heartbeat,
    // so they notice, and are retried (idempotently) once a worker is back.
    shutdownGraceTime: '5 seconds',
  });
}
