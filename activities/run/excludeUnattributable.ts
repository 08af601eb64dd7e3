// excludeUnattributable: payments and refunds of the period whose user maps to no account
// (unmatched) or to several (ambiguous) get an `excluded` entry per book, so that they show in
// the reconciliation (docs/decisions.md). Idempotent through the same keys as every entry.
import type pg from 'pg';
import { REASONS } from '../../domain/reasons';
import { writeUnattributable } from '../../store/ledger';
import { inTransaction } from '../../store/sql';
import { storedResult, type BookShardResult } from './attributeBookShard';
import { loadRun } from './runRecord';

/** The shard number under which this step records its result. */
export const UNATTRIBUTABLE_SHARD = -1;

export async function excludeUnattributable(pool: pg.Pool, input: { runId: string; book: string }): Promise<BookShardResult> {
  const key = { runId: input.runId, book: input.book, shard: UNATTRIBUTABLE_SHARD };
  const stored = await storedResult(pool, key);
  if (stored) return stored;
  const run = await loadRun(pool, input.runId);
  const entriesWritten = await inTransaction(pool, async (client) => {
    const written = await writeUnattributable(client, { runId: run.runId, modelVersion: run.modelVersion, basis: run.basis, book: input.book }, {
      contextId: run.contextId, periodFrom: run.periodFrom === null ? null : new Date(run.periodFrom), periodTo: new Date(run.periodTo),
      ambiguousReason: REASONS.ambiguousUser, unmatchedReason: REASONS.unmatchedUser,
    });
    await client.query(
      `INSERT INTO run_shard_results (run_id, book, shard, accounts, entries_written, lines_written, drift)
       VALUES ($1, $2, $3, 0, $4, 0, 0) ON CONFLICT DO NOTHING`,
      [run.runId, input.book, UNATTRIBUTABLE_SHARD, written],
    );
    return written;
  });
  return { book: input.book, shard: UNATTRIBUTABLE_SHARD, accounts: 0, entriesWritten, linesWritten: 0, drift: 0 };
}
