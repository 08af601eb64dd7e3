// worker/resilientWorker.ts with stand-in workers (on a real connection to the test stack's
// Temporal): a worker that fails while the work is pending is replaced, a worker that cannot be
// built yet is retried, and a worker stopped on purpose ends the wait.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { runWorkersUntil, WorkerStoppedError } from '../../worker/resilientWorker';

type Ending = { fail: string; afterMs: number } | { stopAfterMs: number } | 'until shutdown';

/** A stand-in for the SDK's Worker: run() ends as told, or when shutdown() is called. */
function standIn(ending: Ending): Worker {
  let state = 'RUNNING';
  let end: () => void = () => undefined;
  const run = new Promise<void>((resolve, reject) => {
    end = () => { state = 'STOPPED'; resolve(); };
    if (ending === 'until shutdown') return;
    if ('fail' in ending) setTimeout(() => { state = 'FAILED'; reject(new Error(ending.fail)); }, ending.afterMs);
    else setTimeout(end, ending.stopAfterMs);
  });
  return { run: () => run, shutdown: () => end(), getState: () => state } as unknown as Worker;
}

const address = () => process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const later = <T>(value: T, ms: number) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('runWorkersUntil', () => {
  it('replaces a worker that fails while the work is pending, and retries one that cannot be built yet', async () => {
    const endings: Array<Ending | 'unreachable'> = [{ fail: 'poll failed: transport error', afterMs: 50 }, 'unreachable', 'until shutdown'];
    const lines: string[] = [];
    let made = 0;
    const result = await runWorkersUntil({
      address: address(),
      retryDelayMs: 20,
      log: (l) => lines.push(l),
      make: () => {
        const ending = endings[made++]!;
        return ending === 'unreachable' ? Promise.reject(new Error('connection refused')) : Promise.resolve(standIn(ending));
      },
    }, later('done', 400));
    assert.equal(result, 'done');
    assert.equal(made, 3);
    assert.deepEqual(lines, [
      'The worker stopped (poll failed: transport error); starting another one.',
      `Temporal at ${address()} does not answer (connection refused); retrying until it does.`,
    ]);
  });

  it('passes the work\'s own error through, and a worker stopped on purpose ends the wait', async () => {
    const make = () => Promise.resolve(standIn('until shutdown'));
    await assert.rejects(runWorkersUntil({ address: address(), log: () => undefined, make }, Promise.reject(new Error('run failed'))), /run failed/);
    const forever = new Promise<never>(() => undefined);
    await assert.rejects(runWorkersUntil({ address: address(), log: () => undefined, make: () => Promise.resolve(standIn({ stopAfterMs: 20 })) }, forever), WorkerStoppedError);
  });
});
