// attributeBookShard: one book over one shard, the step of runs recorded before one pass per
// shard decided every book (workflows/runSequence.ts). It is that pass with a single book, so
// both write the same rows; it stays registered so that those runs' histories replay.
import type pg from 'pg';
import type { LedgerWriteTiming } from '../../store/ledger';
import { attributeShard, type BookShardResult } from './attributeShard';

export type { BookShardResult } from './attributeShard';

export interface BookShardInput {
  runId: string;
  book: string;
  shard: number;
}

export async function attributeBookShard(pool: pg.Pool, input: BookShardInput, progress: (accounts: number) => void): Promise<BookShardResult & { ledgerWrite?: LedgerWriteTiming }> {
  const pass = await attributeShard(pool, { runId: input.runId, shard: input.shard, books: [input.book] }, progress);
  return { ...pass.books[0]!, ...(pass.ledgerWrite ? { ledgerWrite: pass.ledgerWrite } : {}) };
}
