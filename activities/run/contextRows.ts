// AccountContext ⇄ account_contexts row. Books read the touch path, the usage units and the net
// revenue; connection windows are only an intermediate step of building the context and are not
// stored, so a context read back has an empty window map. Beside the context, a row keeps what a
// later cutoff needs to continue it (docs/decisions.md, "Contexts": incremental months): the
// account's users and the connections open at the cutoff.
import { Decimal } from 'decimal.js';
import type { AccountContext, OpenConnection } from '../../domain/context';
import type { CarriedContext } from '../../domain/contextCarry';
import { formatUnits, parseAmountUnits } from '../../domain/money';
import { copyTextField } from '../../store/copyText';

export interface AccountContextRow {
  account_id: string;
  first_payment_at: Date | null;
  first_refund_at: Date | null;
  active_end: Date;
  net_currencies: string[];
  net_amounts: string[];
  usage_platforms: string[];
  usage_units: string[];
  touch_platforms: string[];
  touch_at: Date[];
  touch_users: string[];
  orphan_disconnects: number;
  /** NULL in rows stored before contexts were continued (migration 023): those are not continued. */
  member_users: string[] | null;
  open_users: string[] | null;
  open_platforms: string[] | null;
  open_since: Date[] | null;
  redundant_connects: number | null;
}

/** What a stored context carries besides what the books read. */
export interface ContextCarryFields {
  /** The account's users when the context was built, sorted. */
  memberUsers: ReadonlyArray<string>;
  openConnections: ReadonlyArray<OpenConnection>;
}

/** A Postgres array literal of text elements, every element quoted. */
function pgArray(values: ReadonlyArray<string>): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

const iso = (ms: number | null) => (ms === null ? '\\N' : new Date(ms).toISOString());

/** One COPY text line for account_contexts (columns as in CONTEXT_COPY_COLUMNS). */
export function contextCopyLine(contextId: string, shard: number, ctx: AccountContext, carry: ContextCarryFields): string {
  const fields = [
    copyTextField(contextId),
    copyTextField(ctx.accountId),
    String(shard),
    iso(ctx.firstPaymentAt),
    iso(ctx.firstRefundAt),
    iso(ctx.activeEnd),
    copyTextField(pgArray([...ctx.netUnitsByCurrency.keys()])),
    copyTextField(pgArray([...ctx.netUnitsByCurrency.values()].map(formatUnits))),
    copyTextField(pgArray([...ctx.usageUnitsByPlatform.keys()])),
    copyTextField(pgArray([...ctx.usageUnitsByPlatform.values()].map((u) => u.toFixed()))),
    copyTextField(pgArray(ctx.touchPath.map((t) => t.platform))),
    copyTextField(pgArray(ctx.touchPath.map((t) => new Date(t.at).toISOString()))),
    copyTextField(pgArray(ctx.touchPath.map((t) => t.userId))),
    String(ctx.orphanDisconnects),
    copyTextField(pgArray(carry.memberUsers)),
    copyTextField(pgArray(carry.openConnections.map((c) => c.userId))),
    copyTextField(pgArray(carry.openConnections.map((c) => c.platform))),
    copyTextField(pgArray(carry.openConnections.map((c) => new Date(c.since).toISOString()))),
    String(ctx.redundantConnects),
  ];
  return `${fields.join('\t')}\n`;
}

export const CONTEXT_COPY_COLUMNS =
  'context_id, account_id, shard, first_payment_at, first_refund_at, active_end, net_currencies, net_amounts, ' +
  'usage_platforms, usage_units, touch_platforms, touch_at, touch_users, orphan_disconnects, ' +
  'member_users, open_users, open_platforms, open_since, redundant_connects';

export function contextFromRow(row: AccountContextRow, asOf: number): AccountContext {
  return {
    accountId: row.account_id,
    asOf,
    firstPaymentAt: row.first_payment_at?.getTime() ?? null,
    firstRefundAt: row.first_refund_at?.getTime() ?? null,
    activeEnd: row.active_end.getTime(),
    netUnitsByCurrency: new Map(row.net_currencies.map((c, i) => [c, parseAmountUnits(row.net_amounts[i]!)])),
    connectionWindowsByPlatform: new Map(),
    usageUnitsByPlatform: new Map(row.usage_platforms.map((p, i) => [p, new Decimal(row.usage_units[i]!)])),
    touchPath: row.touch_platforms.map((platform, i) => ({ platform, at: row.touch_at[i]!.getTime(), userId: row.touch_users[i]! })),
    orphanDisconnects: row.orphan_disconnects,
    redundantConnects: row.redundant_connects ?? 0,
  };
}

/** The stored context as a point to continue from, with the users it was built for; null when it was stored without them. */
export function carriedFromRow(row: AccountContextRow, asOf: number): { carried: CarriedContext; memberUsers: string[] } | null {
  const { member_users: users, open_users: openUsers, open_platforms: platforms, open_since: since } = row;
  if (users === null || openUsers === null || platforms === null || since === null || row.redundant_connects === null) return null;
  const { connectionWindowsByPlatform: _notStored, ...context } = contextFromRow(row, asOf);
  const openConnections = openUsers.map((userId, i) => ({ userId, platform: platforms[i]!, since: since[i]!.getTime() }));
  return { carried: { context, openConnections }, memberUsers: users };
}
