// The file-version protocol that the CSV, events and journey loaders share (docs/decisions.md,
// "Versions"). One version of one file loads in one transaction, all or nothing:
//   1. an advisory lock (per dataset and kind for CSV files, one for all events), so version
//      numbers, no-op checks and the new/repeat/contradiction split of ids stay exact;
//   2. a load key seen before is a no-op that reports what that load did (`unchanged`);
//   3. otherwise a pending `ingested_files` row gives the version its id and number, the loader's
//      body reads, validates and writes the rows, and the row is completed before commit with
//      the real checksum and the counts; quarantined rows go to `ingest_rejects`.
// Any failure rolls everything back; a retry after a crash finds either the committed version
// or nothing of it. The statements are in store/inputs/fileVersions.ts.
import type pg from 'pg';
import { ErrorType, inputFailure } from '../../common/errors';
import {
  analyzeTables, completeVersion, insertPendingVersion, storedVersion,
  type CompletedVersion, type FileVersion, type RejectedRow, type VersionCounts,
} from '../../store/inputs/fileVersions';
import { advisoryXactLocks, inTransaction } from '../../store/sql';

export type { FileVersion, RejectedRow, VersionCounts };

export interface VersionKey {
  dataset: string;
  /** `payments`, ..., `events` or `journeys` */
  kind: string;
  fileName: string;
  /** The load key seen when the source was listed. */
  expectedLoadKey: string;
  /** The advisory lock that loads of this kind of source take, one at a time. */
  lockKey: string;
  /**
   * Advisory locks the body takes later (refundBalance.ts): taken here, before the body locks any
   * table, so that two loads never wait on each other's table and lock at once (a deadlock).
   */
  laterLocks?: ReadonlyArray<string>;
}

/** What a loader's body hands back once its rows are written. */
export interface LoadedBody extends CompletedVersion {
  /** Quarantined rows to keep in ingest_rejects (a strict load has none). */
  rejects: RejectedRow[];
  /** Tables to ANALYZE after commit, so that the run's joins get sensible plans. */
  analyze: string;
}

export type VersionResult = VersionCounts & { status: 'loaded' | 'unchanged'; version: number; rejects: RejectedRow[] };

/** What the transaction found: the version loaded before with this load key, or the one it loaded. */
type Outcome = { previous: VersionCounts & { version: number } } | { file: FileVersion; loaded: LoadedBody };

export async function loadFileVersion(
  pool: pg.Pool, key: VersionKey,
  body: (client: pg.PoolClient, file: FileVersion) => Promise<LoadedBody>,
  describeFailure: (error: unknown) => unknown,
): Promise<VersionResult> {
  try {
    const outcome = await inTransaction(pool, async (client): Promise<Outcome> => {
      await advisoryXactLocks(client, [key.lockKey, ...(key.laterLocks ?? [])]);
      // A load key seen before: nothing is written, so committing ends the transaction as a rollback would.
      const previous = await storedVersion(client, key.expectedLoadKey);
      if (previous) return { previous };
      const file = await insertPendingVersion(client, key);
      const loaded = await body(client, file);
      await completeVersion(client, file.fileId, loaded);
      return { file, loaded };
    });
    if ('previous' in outcome) return { ...outcome.previous, status: 'unchanged', rejects: [] };
    const { file, loaded } = outcome;
    await analyzeTables(pool, loaded.analyze);
    const { rowsRead, rowsLoaded, rowsDuplicate, rowsRejected } = loaded;
    return { status: 'loaded', version: file.version, rowsRead, rowsLoaded, rowsDuplicate, rowsRejected, rejects: loaded.rejects };
  } catch (error) {
    throw describeFailure(error);
  }
}

/** The content must be what was listed: a file rewritten in between is not loaded half old, half new. */
export function assertListedContent(fileName: string, loadKey: string, expectedLoadKey: string): void {
  if (loadKey !== expectedLoadKey) {
    throw inputFailure(ErrorType.InvalidInputFile, `${fileName} changed while it was being ingested; run the ingest again once it is complete.`);
  }
}
