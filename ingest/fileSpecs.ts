// What each CSV file of SPEC §3.1 holds and how a row of it is validated: the zod schema of a row
// is built from the field parsers, so each problem names its column.
import { z } from 'zod';
import {
  parseAction, parseAmount, parseCurrency, parseDuration, parseId, parseMemberIds, parsePlatform,
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
}

/** A zod string schema from a field parser: the parser's reason becomes the issue message. */
const field = (parse: (raw: string) => FieldResult) =>
  z.string().transform((raw, ctx) => {
    const result = parse(raw);
    if (result.ok) return result.value;
    ctx.addIssue({ code: 'custom', message: result.reason });
    return z.NEVER;
  });

/** The row schema of one kind of file, for one dataset's settings. */
export function rowSchema(kind: CsvKind, c: RowContext) {
  const id = field(parseId);
  const user = field(parseId);
  const at = field((raw) => parseTimestamp(raw, c.timeZone));
  const platform = field((raw) => parsePlatform(raw, c.platformAliases));
  const currency = field((raw) => parseCurrency(raw, c.defaultCurrency));
  switch (kind) {
    case 'workspaces':
      return z.object({ workspace_id: id, owner_id: user, member_ids: field(parseMemberIds) });
    case 'payments':
      return z.object({ payment_id: id, user_id: user, amount: field(parseAmount), currency, paid_at: at });
    case 'refunds':
      return z.object({
        refund_id: id, user_id: user, amount: field(parseAmount), currency, refunded_at: at,
        payment_id: z.string().transform((v) => v.trim()),
      });
    case 'integrations':
      return z.object({ event_id: id, user_id: user, platform, action: field(parseAction), occurred_at: at });
    case 'calls':
      return z.object({ call_id: id, user_id: user, platform, started_at: at, duration: field(parseDuration) });
    case 'sms':
      return z.object({ sms_id: id, user_id: user, platform, sent_at: at, segments: field(parseSegments) });
  }
}

export interface RowProblem {
  column: string | undefined;
  value: string | undefined;
  reason: string;
}

/** Validates one record (canonical column → raw cell); returns the canonical values in column order. */
export function validateRow(
  schema: ReturnType<typeof rowSchema>, columns: readonly string[], record: Record<string, string>,
): { ok: true; values: string[] } | { ok: false; problems: RowProblem[] } {
  const parsed = schema.safeParse(record);
  if (parsed.success) {
    const data = parsed.data as Record<string, string>;
    return { ok: true, values: columns.map((c) => data[c] ?? '') };
  }
  return {
    ok: false,
    problems: parsed.error.issues.map((issue) => {
      const column = typeof issue.path[0] === 'string' ? issue.path[0] : undefined;
      return { column, value: column === undefined ? undefined : record[column], reason: issue.message };
    }),
  };
}
