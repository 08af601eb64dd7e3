// CI smoke test of the benchmark: a small bench through the same harness as `npm run bench`, in
// both modes (in-process and through Temporal with a worker process). No timing assertions: it
// checks that every phase is measured, the runs reconcile, and both modes write the same ledger.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runBench, type BenchResult } from '../bench/harness';
import { environment, renderResult } from '../bench/report';

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'attribution-bench-test-'));
after(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

function stack() {
  const { DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE } = process.env;
  if (!DATABASE_URL || !TEMPORAL_ADDRESS) throw new Error('DATABASE_URL / TEMPORAL_ADDRESS are not set: run the tests with `npm test`.');
  return { databaseUrl: DATABASE_URL, temporalAddress: TEMPORAL_ADDRESS, namespace: TEMPORAL_NAMESPACE ?? 'default' };
}

describe('bench (smoke)', () => {
  let result: BenchResult;

  it('runs a small dataset in-process and through Temporal', { timeout: 180_000 }, async () => {
    result = await runBench({
      accounts: 1500, months: 3, seed: 7, usagePerAccount: 30, start: '2024-01', modes: ['direct', 'temporal'], workers: 1,
      accountsPerShard: 400, shardConcurrency: 4, cacheDir, keepDatabases: false,
    }, stack(), () => undefined);
    assert.deepEqual(result.modes.map((m) => m.mode), ['direct', 'temporal']);
  });

  it('loads every generated row, in both modes', () => {
    for (const m of result.modes) assert.equal(m.ingest.rows, result.dataset.summary.totalRows, m.mode);
  });

  it('reports every phase of both runs, with the work each did', () => {
    for (const m of result.modes) {
      for (const run of m.runs) {
        // Every book is decided in one pass per shard: the books share one phase.
        assert.deepEqual(run.phases.map((p) => p.name).sort(), ['books', 'contexts', 'prepare', 'reconcile', 'reports'], `${m.mode} ${run.label}`);
        assert.ok(run.shards >= 2 && run.accounts > 0 && run.entries > 0 && run.lines > 0, `${m.mode} ${run.label} did work`);
        assert.ok(run.ledgerWriteSeconds > 0, `${m.mode} ${run.label}: ledger writes were timed`);
        for (const p of run.phases) assert.ok(p.seconds > 0 && p.count > 0, `${m.mode} ${run.label} ${p.name} measured`);
      }
      assert.ok(m.memory.workerPeakBytes > 0 && m.memory.postgresPeakBytes > 0, `${m.mode}: memory sampled`);
    }
  });

  it('reconciles every run, and writes the same ledger in both modes', () => {
    for (const m of result.modes) for (const run of m.runs) assert.ok(run.balanced, `${m.mode} ${run.label} reconciles`);
    assert.equal(result.ledgersEqual, true);
    assert.equal(result.modes[0]!.ledger.checksum, result.modes[1]!.ledger.checksum);
    assert.ok(result.temporalOverhead !== undefined);
  });

  it('renders the result with the command, the machine and the revision', () => {
    const text = renderResult(result, environment('npm run bench -- --accounts 1500 --direct'));
    assert.match(text, /^## 1,500 accounts, 3 months — direct \+ temporal \(1 worker\)/);
    assert.match(text, /- command: `npm run bench -- --accounts 1500 --direct`/);
    assert.match(text, /\| ingest \| [\d.]+ \| [\d,]+ \| [\d.]+ \| [\d,]+ \| input rows \|/);
    assert.match(text, /ledgers of the modes identical \(checksum without run ids\): \*\*yes\*\*/);
  });
});
