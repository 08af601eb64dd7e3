// How staged CSV text becomes typed rows of the canonical input tables (SQL close to its caller).
// The staging table holds each canonical column as text plus the line number.
import type { CsvKind } from '../../ingest/fileSpecs';
import { copyTextField } from './copyText';

interface TargetTable {
  table: string;
  idColumn: string;
  /** target column → SQL expression over the staging row `s` */
  columns: Record<string, string>;
}

export const TARGET_TABLES: Record<CsvKind, TargetTable> = {
  workspaces: {
    table: 'workspaces', idColumn: 'workspace_id',
    columns: {
      workspace_id: 's.workspace_id', owner_id: 's.owner_id',
      member_ids: `coalesce(string_to_array(nullif(s.member_ids, ''), ';'), '{}'::text[])`,
    },
  },
  payments: {
    table: 'payments', idColumn: 'payment_id',
    columns: { payment_id: 's.payment_id', user_id: 's.user_id', amount: 's.amount::numeric(18,4)', currency: 's.currency::char(3)', paid_at: 's.paid_at::timestamptz' },
  },
  refunds: {
    table: 'refunds', idColumn: 'refund_id',
    columns: {
      refund_id: 's.refund_id', user_id: 's.user_id', amount: 's.amount::numeric(18,4)', currency: 's.currency::char(3)',
      refunded_at: 's.refunded_at::timestamptz', payment_id: `nullif(s.payment_id, '')`,
    },
  },
  integrations: {
    table: 'integration_events', idColumn: 'event_id',
    columns: { event_id: 's.event_id', user_id: 's.user_id', platform: 's.platform', action: 's.action', occurred_at: 's.occurred_at::timestamptz' },
  },
  calls: {
    table: 'calls', idColumn: 'call_id',
    columns: { call_id: 's.call_id', user_id: 's.user_id', platform: 's.platform', started_at: 's.started_at::timestamptz', duration_seconds: 's.duration::numeric(14,3)' },
  },
  sms: {
    table: 'sms', idColumn: 'sms_id',
    columns: { sms_id: 's.sms_id', user_id: 's.user_id', platform: 's.platform', sent_at: 's.sent_at::timestamptz', segments: 's.segments::integer' },
  },
};

/**
 * How a validated row (canonical text values in FILE_SPECS column order) is written as COPY text
 * straight into the target table by the direct load (directLoad.ts). Each formatter must give the
 * value that the merge path's SQL expression above gives for the same canonical text.
 */
export const DIRECT_FORMATTERS: Partial<Record<CsvKind, Record<number, (value: string) => string>>> = {
  // member_ids: `a;b` → {"a","b"}; empty → {} (the merge path: string_to_array(nullif(..., ''), ';')).
  workspaces: { 2: (v) => (v === '' ? '{}' : pgTextArray(v.split(';'))) },
  // payment_id: empty → NULL (the merge path: nullif(s.payment_id, '')).
  refunds: { 5: (v) => (v === '' ? '\\N' : copyTextField(v)) },
};

function pgTextArray(values: ReadonlyArray<string>): string {
  return copyTextField(`{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`);
}

/** INSERT the staged rows into the target table; rows whose id is already there are skipped. */
export function mergeSql(kind: CsvKind): string {
  const t = TARGET_TABLES[kind];
  const names = Object.keys(t.columns);
  return `INSERT INTO ${t.table} (${names.join(', ')}, file_id, line)
    SELECT ${Object.values(t.columns).join(', ')}, $1::bigint, s.line FROM stage s
    ON CONFLICT (${t.idColumn}) DO NOTHING`;
}

/**
 * Staged rows that were not inserted because their id was already stored (by an earlier file
 * version, or earlier in this file): `same` tells a harmless repeat from a contradiction.
 */
export function collisionSql(kind: CsvKind): string {
  const t = TARGET_TABLES[kind];
  const names = Object.keys(t.columns);
  return `SELECT s.line, s.${t.idColumn} AS id, t.line AS stored_line, f.file_name AS stored_file, f.version AS stored_version,
      t.file_id = $1::bigint AS same_file,
      ROW(${Object.values(t.columns).join(', ')}) IS NOT DISTINCT FROM ROW(${names.map((n) => `t.${n}`).join(', ')}) AS same
    FROM stage s
    JOIN ${t.table} t ON t.${t.idColumn} = s.${t.idColumn}
    JOIN ingested_files f ON f.file_id = t.file_id
    WHERE NOT (t.file_id = $1::bigint AND t.line = s.line)
    ORDER BY s.line`;
}
