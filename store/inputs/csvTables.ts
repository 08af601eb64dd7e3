// The canonical tables of the CSV shape (workspaces, payments, refunds, integration_events, calls,
// sms) as the CSV loader writes them, and its staging table. How a staged text cell becomes a
// typed column is said once per field in ingest/fileSpecs.ts; here it becomes SQL (the staging
// path) and COPY text (the direct path, csvDirect.ts), which must give the same stored value.
// The staging table `stage` holds each canonical column as text plus the line number.
import type pg from 'pg';
import { CSV_KINDS, FILE_SPECS, type CsvKind, type FieldSpec } from '../../ingest/fileSpecs';
import { copyTextField } from '../copyText';
import { openCopy, type CopyWriter } from '../sql';

interface TargetTable {
  table: string;
  idColumn: string;
  /** target column → SQL expression over the staging row `s` */
  columns: Record<string, string>;
}

/** The SQL expression that turns a staged text cell into the stored value. */
function sqlOf(f: FieldSpec): string {
  const cell = `s.${f.name}`;
  switch (f.store.as) {
    case 'text': return cell;
    case 'cast': return `${cell}::${f.store.type}`;
    case 'emptyIsNull': return `nullif(${cell}, '')`;
    case 'idList': return `coalesce(string_to_array(nullif(${cell}, ''), ';'), '{}'::text[])`;
  }
}

/**
 * How the direct load writes a validated value as COPY text straight into the target table: it
 * must give what the staging path's SQL expression gives for the same text.
 */
function directOf(f: FieldSpec): (value: string) => string {
  switch (f.store.as) {
    case 'text':
    case 'cast': return copyTextField;
    case 'emptyIsNull': return (v) => (v === '' ? '\\N' : copyTextField(v));
    case 'idList': return (v) => (v === '' ? '{}' : pgTextArray(v.split(';')));
  }
}

export const TARGET_TABLES: Record<CsvKind, TargetTable> = Object.fromEntries(CSV_KINDS.map((kind) => {
  const spec = FILE_SPECS[kind];
  return [kind, { table: spec.table, idColumn: spec.idColumn, columns: Object.fromEntries(spec.fields.map((f) => [f.column, sqlOf(f)])) }];
})) as Record<CsvKind, TargetTable>;

/** Per kind, in FILE_SPECS column order: the COPY text formatter of each value. */
export const DIRECT_FORMATTERS = Object.fromEntries(
  CSV_KINDS.map((kind) => [kind, FILE_SPECS[kind].fields.map(directOf)]),
) as unknown as Record<CsvKind, ReadonlyArray<(value: string) => string>>;

function pgTextArray(values: ReadonlyArray<string>): string {
  return copyTextField(`{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`);
}

/** The staging table of one CSV load, dropped at commit. */
export async function createStage(client: pg.PoolClient, kind: CsvKind): Promise<void> {
  await client.query(`CREATE TEMP TABLE stage (line integer NOT NULL, ${FILE_SPECS[kind].columns.map((c) => `${c} text`).join(', ')}) ON COMMIT DROP`);
}

/** A COPY into `stage`: rows are `line \t cell \t …` in FILE_SPECS column order (see stageRow). */
export function openStageCopy(client: pg.PoolClient, kind: CsvKind): CopyWriter {
  return openCopy(client, `COPY stage (line, ${FILE_SPECS[kind].columns.join(', ')}) FROM STDIN`);
}

/** One staged row as COPY text. */
export function stageRow(line: number, values: ReadonlyArray<string>): string {
  return `${line}\t${values.map(copyTextField).join('\t')}\n`;
}

/** INSERTs the staged rows into the target table; rows whose id is already there are skipped. Returns the rows inserted. */
export async function mergeStage(client: pg.PoolClient, kind: CsvKind, fileId: string): Promise<number> {
  const t = TARGET_TABLES[kind];
  const names = Object.keys(t.columns);
  const merged = await client.query(
    `INSERT INTO ${t.table} (${names.join(', ')}, file_id, line)
      SELECT ${Object.values(t.columns).join(', ')}, $1::bigint, s.line FROM stage s
      ON CONFLICT (${t.idColumn}) DO NOTHING`,
    [fileId],
  );
  return merged.rowCount ?? 0;
}

export interface StageCollision {
  line: number;
  id: string;
  stored_line: number;
  stored_file: string;
  stored_version: number;
  same_file: boolean;
  /** A harmless repeat (identical content), not a contradiction. */
  same: boolean;
}

/**
 * Staged rows that were not inserted because their id was already stored (by an earlier file
 * version, or earlier in this file), in line order.
 */
export async function stageCollisions(client: pg.PoolClient, kind: CsvKind, fileId: string): Promise<StageCollision[]> {
  const t = TARGET_TABLES[kind];
  const names = Object.keys(t.columns);
  const found = await client.query<StageCollision>(
    `SELECT s.line, s.${t.idColumn} AS id, t.line AS stored_line, f.file_name AS stored_file, f.version AS stored_version,
        t.file_id = $1::bigint AS same_file,
        ROW(${Object.values(t.columns).join(', ')}) IS NOT DISTINCT FROM ROW(${names.map((n) => `t.${n}`).join(', ')}) AS same
      FROM stage s
      JOIN ${t.table} t ON t.${t.idColumn} = s.${t.idColumn}
      JOIN ingested_files f ON f.file_id = t.file_id
      WHERE NOT (t.file_id = $1::bigint AND t.line = s.line)
      ORDER BY s.line`,
    [fileId],
  );
  return found.rows;
}
