// What each CSV file of docs/decisions.md, "Input" holds and how a row of it is validated: the zod schema of a row
// is built from the field parsers, so each problem names its column.
import {
  parseAction, parseAmount, parseCurrency, parseDuration, parseId, parseMemberIds, parseOptionalId, parsePlatform,
  parseSegments, parseTimestamp, type FieldResult,
} from './fields';

export const CSV_KINDS = ['workspaces', 'payments', 'refunds', 'integrations', 'calls', 'sms'] as const;
export type CsvKind = (typeof CSV_KINDS)[number];

export interface RowContext {
  timeZone: string | undefined;
  defaultCurrency: string | undefined;
  platformAliases: ReadonlyMap<string, string>;
  /** Currency codes beyond ISO 4217 that this dataset allows (dataset.yaml `extra_currencies`). */
  extraCurrencies: ReadonlySet<string>;
}

type Parser = (raw: string) => FieldResult;
/** A field's parser for one dataset's settings. */
type ParserFor = (c: RowContext) => Parser;

/**
 * How a validated value is stored in the target table: as text, cast to a type, empty as NULL,
 * or a `;`-separated list as a text array. The loaders turn it into the staging path's SQL
 * expression and the direct path's COPY text (activities/ingest/targetTables.ts).
 */
export type Store = { as: 'text' } | { as: 'cast'; type: string } | { as: 'emptyIsNull' } | { as: 'idList' };

/** One column of a CSV kind: its canonical name, parser, and where its value goes. */
export interface FieldSpec {
  name: string;
  parser: ParserFor;
  /** may be absent from the header (its cells read as empty) */
  optional: boolean;
  /** the target table's column */
  column: string;
  store: Store;
}

export interface FileSpec {
  kind: CsvKind;
  fileName: string;
  table: string;
  /** Billing files are strict: one bad row fails the file. */
  billing: boolean;
  hasPlatform: boolean;
  /** In the order of the target table's columns; the first is the id. */
  fields: readonly FieldSpec[];
  /** The canonical column names, in order (derived from `fields`). */
  columns: readonly string[];
  optionalColumns: readonly string[];
  idColumn: string;
}

const id: ParserFor = () => parseId;
const optionalId: ParserFor = () => parseOptionalId;
const at: ParserFor = (c) => (raw) => parseTimestamp(raw, c.timeZone);
const platform: ParserFor = (c) => (raw) => parsePlatform(raw, c.platformAliases);
const currency: ParserFor = (c) => (raw) => parseCurrency(raw, c.defaultCurrency, c.extraCurrencies);
const fixed = (parse: Parser): ParserFor => () => parse;

const TEXT: Store = { as: 'text' };
const cast = (type: string): Store => ({ as: 'cast', type });

function field(name: string, parser: ParserFor, o: { optional?: boolean; column?: string; store?: Store } = {}): FieldSpec {
  return { name, parser, optional: o.optional ?? false, column: o.column ?? name, store: o.store ?? TEXT };
}

function file(kind: CsvKind, table: string, o: { billing?: boolean; platform?: boolean }, fields: FieldSpec[]): FileSpec {
  return {
    kind, fileName: `${kind}.csv`, table, billing: o.billing ?? false, hasPlatform: o.platform ?? false, fields,
    columns: fields.map((f) => f.name), optionalColumns: fields.filter((f) => f.optional).map((f) => f.name), idColumn: fields[0]!.name,
  };
}

/** The one description of each CSV kind of the dataset (docs: README "Input data"). */
export const FILE_SPECS: Record<CsvKind, FileSpec> = {
  workspaces: file('workspaces', 'workspaces', { billing: true }, [
    field('workspace_id', id), field('owner_id', id), field('member_ids', fixed(parseMemberIds), { optional: true, store: { as: 'idList' } }),
  ]),
  payments: file('payments', 'payments', { billing: true }, [
    field('payment_id', id), field('user_id', id), field('amount', fixed(parseAmount), { store: cast('numeric(18,4)') }),
    field('currency', currency, { optional: true, store: cast('char(3)') }), field('paid_at', at, { store: cast('timestamptz') }),
  ]),
  refunds: file('refunds', 'refunds', { billing: true }, [
    field('refund_id', id), field('user_id', id), field('amount', fixed(parseAmount), { store: cast('numeric(18,4)') }),
    field('currency', currency, { optional: true, store: cast('char(3)') }), field('refunded_at', at, { store: cast('timestamptz') }),
    field('payment_id', optionalId, { optional: true, store: { as: 'emptyIsNull' } }),
  ]),
  integrations: file('integrations', 'integration_events', { platform: true }, [
    field('event_id', id), field('user_id', id), field('platform', platform), field('action', fixed(parseAction)),
    field('occurred_at', at, { store: cast('timestamptz') }),
  ]),
  calls: file('calls', 'calls', { platform: true }, [
    field('call_id', id), field('user_id', id), field('platform', platform), field('started_at', at, { store: cast('timestamptz') }),
    field('duration', fixed(parseDuration), { column: 'duration_seconds', store: cast('numeric(14,3)') }),
  ]),
  sms: file('sms', 'sms', { platform: true }, [
    field('sms_id', id), field('user_id', id), field('platform', platform), field('sent_at', at, { store: cast('timestamptz') }),
    field('segments', fixed(parseSegments), { store: cast('integer') }),
  ]),
};

/**
 * The field parsers of one kind of file, in column order, for one dataset's settings. Rows are
 * checked with these plain functions rather than a zod object per row: on this hot path (hundreds
 * of thousands of rows a second) a zod object with transforms costs four times as much, and each
 * parser already names its problem precisely. zod still guards every other boundary.
 */
export function rowParsers(kind: CsvKind, c: RowContext): ReadonlyArray<readonly [string, Parser]> {
  return FILE_SPECS[kind].fields.map((f) => [f.name, f.parser(c)] as const);
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
