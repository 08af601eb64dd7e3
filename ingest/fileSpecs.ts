// What each CSV file of SPEC §3.1 holds and how a row of it is validated: the zod schema of a row
// is built from the field parsers, so each problem names its column.
import {
  parseAction, parseAmount, parseCurrency, parseDuration, parseId, parseMemberIds, parseOptionalId, parsePlatform,
  parseSegments, parseTimestamp, type FieldResult,
} from './fields';

export const CSV_KINDS = ['workspaces', 'payments', 'refunds', 'integrations', 'calls', 'sms'] as const;
export type CsvKind = (typeof CSV_KINDS)[number];

export interface FileSpec {
  kind: CsvKind;
  fileName: string;
  /** Canonical columns, in the order of the target table's columns. */
  columns: readonly string[];
  /** Columns that may be absent from the header (their cells read as empty). */
  optionalColumns: readonly string[];
  idColumn: string;
  /** Billing files are strict: one bad row fails the file. */
  billing: boolean;
  hasPlatform: boolean;
  table: string;
}

export const FILE_SPECS: Record<CsvKind, FileSpec> = {
  workspaces: spec('workspaces', ['workspace_id', 'owner_id', 'member_ids'], 'workspace_id', { billing: true, table: 'workspaces', optional: ['member_ids'] }),
  payments: spec('payments', ['payment_id', 'user_id', 'amount', 'currency', 'paid_at'], 'payment_id', { billing: true, table: 'payments', optional: ['currency'] }),
  refunds: spec('refunds', ['refund_id', 'user_id', 'amount', 'currency', 'refunded_at', 'payment_id'], 'refund_id', { billing: true, table: 'refunds', optional: ['currency', 'payment_id'] }),
  integrations: spec('integrations', ['event_id', 'user_id', 'platform', 'action', 'occurred_at'], 'event_id', { table: 'integration_events', platform: true }),
  calls: spec('calls', ['call_id', 'user_id', 'platform', 'started_at', 'duration'], 'call_id', { table: 'calls', platform: true }),
  sms: spec('sms', ['sms_id', 'user_id', 'platform', 'sent_at', 'segments'], 'sms_id', { table: 'sms', platform: true }),
};

function spec(
  kind: CsvKind, columns: string[], idColumn: string,
  o: { billing?: boolean; table: string; platform?: boolean; optional?: string[] },
): FileSpec {
  return { kind, fileName: `${kind}.csv`, columns, optionalColumns: o.optional ?? [], idColumn, billing: o.billing ?? false, hasPlatform: o.platform ?? false, table: o.table };
}

export interface RowContext {
  timeZone: string | undefined;
  defaultCurrency: string | undefined;
  platformAliases: ReadonlyMap<string, string>;
  /** Currency codes beyond ISO 4217 that this dataset allows (dataset.yaml `extra_currencies`). */
  extraCurrencies: ReadonlySet<string>;
}

type Parser = (raw: string) => FieldResult;

/**
 * The field parsers of one kind of file, in column order, for one dataset's settings. Rows are
 * checked with these plain functions rather than a zod object per row: on this hot path (hundreds
 * of thousands of rows a second) a zod object with transforms costs four times as much, and each
 * parser already names its problem precisely. zod still guards every other boundary.
 */
export function rowParsers(kind: CsvKind, c: RowContext): ReadonlyArray<readonly [string, Parser]> {
  const at: Parser = (raw) => parseTimestamp(raw, c.timeZone);
  const platform: Parser = (raw) => parsePlatform(raw, c.platformAliases);
  const currency: Parser = (raw) => parseCurrency(raw, c.defaultCurrency, c.extraCurrencies);
  const optionalId: Parser = parseOptionalId;
  const parsers: Record<CsvKind, Record<string, Parser>> = {
    workspaces: { workspace_id: parseId, owner_id: parseId, member_ids: parseMemberIds },
    payments: { payment_id: parseId, user_id: parseId, amount: parseAmount, currency, paid_at: at },
    refunds: { refund_id: parseId, user_id: parseId, amount: parseAmount, currency, refunded_at: at, payment_id: optionalId },
    integrations: { event_id: parseId, user_id: parseId, platform, action: parseAction, occurred_at: at },
    calls: { call_id: parseId, user_id: parseId, platform, started_at: at, duration: parseDuration },
    sms: { sms_id: parseId, user_id: parseId, platform, sent_at: at, segments: parseSegments },
  };
  return FILE_SPECS[kind].columns.map((column) => [column, parsers[kind][column]!] as const);
}

export interface RowProblem {
  column: string | undefined;
  value: string | undefined;
  reason: string;
}

/** Validates one row (raw cells in canonical column order); returns the canonical values. */
export function validateRow(
  parsers: ReadonlyArray<readonly [string, Parser]>, cells: ReadonlyArray<string>,
): { ok: true; values: string[] } | { ok: false; problems: RowProblem[] } {
  const values: string[] = new Array(parsers.length);
  let problems: RowProblem[] | undefined;
  for (let i = 0; i < parsers.length; i++) {
    const [column, parse] = parsers[i]!;
    const raw = cells[i] ?? '';
    const result = parse(raw);
    if (result.ok) values[i] = result.value;
    else (problems ??= []).push({ column, value: raw, reason: result.reason });
  }
  return problems ? { ok: false, problems } : { ok: true, values };
}
