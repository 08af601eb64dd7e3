// A worker that outlives a Temporal outage. The SDK's worker gives up (state FAILED) when the
// server stays away for a while, e.g. while the dev server restarts; the work it was serving is
// safe in Temporal's history, so the right reaction is a new worker once the server answers
// again, not a dead process (docs/decisions.md, "Outages").
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection, type Worker } from '@temporalio/worker';

export interface WorkerFactory {
  address: string;
  make(connection: NativeConnection): Promise<Worker>;
  log(line: string): void;
  /** Pause between attempts while Temporal does not answer. */
  retryDelayMs?: number;
}

/** Thrown when the worker was stopped on purpose (SIGINT/SIGTERM) before the work ended. */
export class WorkerStoppedError extends Error {
  constructor() {
    super('Stopped before the work ended (interrupted). The workflow keeps its state in Temporal; run the command again to attach to it.');
    this.name = 'WorkerStoppedError';
  }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Connects and builds a worker, retrying while Temporal is unreachable, until `stop()` says give up. */
async function connectWorker(factory: WorkerFactory, stop: () => boolean): Promise<{ worker: Worker; connection: NativeConnection } | undefined> {
  for (let attempt = 1; !stop(); attempt += 1) {
    let connection: NativeConnection | undefined;
    try {
      connection = await NativeConnection.connect({ address: factory.address });
      return { worker: await factory.make(connection), connection };
    } catch (error) {
      await connection?.close().catch(() => undefined);
      if (attempt === 1) factory.log(`Temporal at ${factory.address} does not answer (${message(error)}); retrying until it does.`);
      await sleep(factory.retryDelayMs ?? 1000);
    }
  }
  return undefined;
}

/**
 * Runs workers until `work` settles, replacing one that fails; then shuts the last one down and
 * returns (or throws) what `work` did. A worker stopped by a signal ends the wait.
 */
export async function runWorkersUntil<T>(factory: WorkerFactory, work: Promise<T>): Promise<T> {
  let done = false;
  const outcome = work.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error }));
  void outcome.then(() => { done = true; });
  while (!done) {
    const started = await connectWorker(factory, () => done);
    if (!started) break;
    const { worker, connection } = started;
    const running = worker.run().then(() => ({ stopped: true as const }), (error: unknown) => ({ stopped: false as const, error }));
    const first = await Promise.race([outcome.then(() => undefined), running]);
    if (first === undefined) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    }
    await connection.close().catch(() => undefined);
    // Stopped on purpose (Ctrl-C): the work usually ends on the same signal (serve), give it a moment.
    if (first?.stopped && !(await Promise.race([outcome.then(() => true), sleep(5000).then(() => false)]))) throw new WorkerStoppedError();
    if (first && !first.stopped) factory.log(`The worker stopped (${message(first.error)}); starting another one.`);
  }
  const result = await outcome;
  if (!result.ok) throw result.error;
  return result.value;
}

/** `npm run worker`: serve until a signal stops the worker; a worker that fails is replaced. */
export async function runWorkersForever(factory: WorkerFactory): Promise<void> {
  await runWorkersUntil(factory, new Promise<never>(() => undefined)).catch((error: unknown) => {
    if (!(error instanceof WorkerStoppedError)) throw error;
  });
}
