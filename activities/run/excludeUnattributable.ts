// excludeUnattributable: payments and refunds of the period whose user maps to no account
// (unmatched) or to several (ambiguous) get an `excluded` entry per book, so that they show in
// the reconciliation (docs/decisions.md). Idempotent through the same keys as every entry.
import type pg from 'pg';
import { REASONS } from '../../domain/reasons';
import { writeUnattributable } from '../../store/ledger';
import { recordShardResult } from '../../store/runResults';
import { loadRun } from '../../store/runs';
import { inTransaction } from '../../store/sql';
import { storedResult, type BookShardResult } from './attributeShard';

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
    await recordShardResult(client, { ...key, accounts: 0, entriesWritten: written, linesWritten: 0, drift: 0 });
    return written;
  });
  return { book: input.book, shard: UNATTRIBUTABLE_SHARD, accounts: 0, entriesWritten, linesWritten: 0, drift: 0 };
}
