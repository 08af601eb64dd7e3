// The direct load's statements (activities/ingest/directLoad.ts): COPY straight into a CSV kind's
// target table, and for a large file into an empty table, dropping the table's indexes first and
// rebuilding them after (a sorted build instead of 10M+ random b-tree inserts; the rebuilt primary
// key is also the duplicate check). All of it runs in the caller's transaction.
import type pg from 'pg';
import type { CsvKind } from '../../ingest/fileSpecs';
import { copyStreaming } from '../sql';
import { TARGET_TABLES } from './csvTables';

/** Whether the kind's target table holds no row yet. */
export async function targetIsEmpty(client: pg.PoolClient, kind: CsvKind): Promise<boolean> {
  const found = await client.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${TARGET_TABLES[kind].table}) AS any`);
  return !found.rows[0]!.any;
}

/** The statements that recreate the indexes dropTargetIndexes dropped. */
export interface DroppedIndexes {
  creates: string[];
}

/** Drops the target table's indexes (primary key included) and returns how to recreate them. */
export async function dropTargetIndexes(client: pg.PoolClient, kind: CsvKind): Promise<DroppedIndexes> {
  const table = TARGET_TABLES[kind].table;
  const found = await client.query<{ index_name: string; index_def: string; constraint_name: string | null; constraint_def: string | null }>(
    `SELECT i.relname AS index_name, pg_get_indexdef(i.oid) AS index_def, c.conname AS constraint_name, pg_get_constraintdef(c.oid) AS constraint_def
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
      WHERE x.indrelid = $1::regclass
      ORDER BY c.conname IS NULL, i.relname`,
    [table],
  );
  const creates: string[] = [];
  for (const r of found.rows) {
    if (r.constraint_name) {
      await client.query(`ALTER TABLE ${table} DROP CONSTRAINT ${r.constraint_name}`);
      creates.push(`ALTER TABLE ${table} ADD CONSTRAINT ${r.constraint_name} ${r.constraint_def}`);
    } else {
      await client.query(`DROP INDEX ${r.index_name}`);
      creates.push(r.index_def);
    }
  }
  return { creates };
}

/** Rebuilds dropped indexes, with room for a sorted build; a duplicate id fails here (23505). */
export async function rebuildIndexes(client: pg.PoolClient, dropped: DroppedIndexes): Promise<void> {
  await client.query(`SET LOCAL maintenance_work_mem = '256MB'`);
  for (const create of dropped.creates) await client.query(create);
}

/**
 * COPYs rows that `write` sends straight into the kind's target table: each row is the target
 * columns in FILE_SPECS order as COPY text (csvTables.ts DIRECT_FORMATTERS), then file id and line.
 */
export function copyIntoTarget(client: pg.PoolClient, kind: CsvKind, write: (send: (text: string) => Promise<void>) => Promise<void>): Promise<void> {
  const target = TARGET_TABLES[kind];
  return copyStreaming(client, `COPY ${target.table} (${Object.keys(target.columns).join(', ')}, file_id, line) FROM STDIN`, write);
}
