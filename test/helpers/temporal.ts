// A Temporal client and a worker on a task queue of the test file's own, on the test stack's
// dev server (TEMPORAL_ADDRESS): workflow tests run on a real server, not a mock.
import crypto from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type pg from 'pg';
import { createWorker } from '../../worker/createWorker';

export interface TestTemporal {
  client: Client;
  taskQueue: string;
  namespace: string;
  /** Starts a worker for the test's queue (or another) and database; stop it with `shutdown()`. */
  startWorker(pool: pg.Pool, taskQueue?: string): Promise<{ worker: Worker; done: Promise<void> }>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function connectTestTemporal(label: string): Promise<TestTemporal> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the tests with `npm test`, which starts a test stack.');
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
  const connection = await Connection.connect({ address });
  const nativeConnections: NativeConnection[] = [];
  const taskQueue = `test-${label}-${crypto.randomBytes(4).toString('hex')}`;
  return {
    client: new Client({ connection, namespace }),
    taskQueue,
    namespace,
    async startWorker(pool, queue = taskQueue) {
      const native = await NativeConnection.connect({ address });
      nativeConnections.push(native);
      const worker = await createWorker({ connection: native, namespace, taskQueue: queue, pool });
      const done = worker.run();
      return { worker, done };
    },
    async close() {
      await connection.close();
      for (const native of nativeConnections) await native.close().catch(() => undefined);
    },
  };
}
