import { Decimal } from 'decimal.js';
import { InvalidInputError } from './errors';
import { ExactDecimal, toPlainDecimal } from './exactDecimal';
import { compareStrings } from './order';
import type { Ruleset } from './ruleset';

// The per-account context of docs/decisions.md, "Contexts": everything a book needs to weigh an account's channels,
// built once per run cutoff from the account's own rows. Pure: the rows arrive already resolved to
// one account (membership is resolved in SQL), with platforms trimmed and lower-cased.
//
// Decisions taken where the spec is silent:
// - Every row with a timestamp >= asOf is ignored, including disconnects: a window whose
//   disconnect lies after the cutoff is still open as of the cutoff and runs to activeEnd.
// - Connection windows are half-open [connectedAt, disconnectedAt). A disconnect at the same
//   instant as the connect closes it ("at or after"), giving an empty window that counts nothing.
// - A `connected` while the (user, platform) is already connected (a reconnect, or a duplicate
//   event) does not open a second window: the window runs from the first connect to the next
//   disconnect. This is what the spec's "each connected closes at the earliest disconnected at or
//   after it" gives once windows are unioned. Such events are counted as `redundantConnects`.
// - A `disconnected` when no window is open is ignored and counted as `orphanDisconnects`; so is a
//   second disconnect after the first one closed the window.
// - The touch path keeps reconnects (a re-connect is a touch), but collapses exact duplicates
//   (same instant, platform and user) into one touch.
// - If the first refund precedes the first payment (a refund of a payment older than the data),
//   the active period is empty: no usage and no touches count.

export interface ContextParams {
  /** Platforms whose usage counts without a connection window (trimmed, lower-case). */
  alwaysAvailable: ReadonlyArray<string>;
  smsSecondsPerSegment: Decimal;
  /** When true the active period ends at the first refund; otherwise at asOf. */
  stopAtFirstRefund: boolean;
}

export interface PaymentRow {
  id: string;
  amountUnits: bigint;
  currency: string;
  at: number;
}

export interface RefundRow {
  id: string;
  /** Positive: the refunded amount, subtracted from the account's revenue. */
  amountUnits: bigint;
  currency: string;
  at: number;
  paymentId: string | null;
}

export interface IntegrationEventRow {
  id: string;
  userId: string;
  platform: string;
  action: 'connected' | 'disconnected';
  at: number;
}

export interface CallRow {
  userId: string;
  platform: string;
  at: number;
  durationSeconds: Decimal;
}

export interface SmsRow {
  userId: string;
  platform: string;
  at: number;
  segments: number;
}

export interface AccountInput {
  accountId: string;
  payments: ReadonlyArray<PaymentRow>;
  refunds: ReadonlyArray<RefundRow>;
  integrationEvents: ReadonlyArray<IntegrationEventRow>;
  calls: ReadonlyArray<CallRow>;
  sms: ReadonlyArray<SmsRow>;
}

/** A half-open interval [startAt, endAt) of UTC epoch milliseconds. */
export interface TimeWindow {
  startAt: number;
  endAt: number;
}

/** A (user, platform) connection still open at a cutoff, and the instant of the connect that opened it. */
export interface OpenConnection {
  userId: string;
  platform: string;
  since: number;
}

export interface Touch {
  at: number;
  platform: string;
  userId: string;
}

export interface AccountContext {
  accountId: string;
  asOf: number;
  firstPaymentAt: number | null;
  firstRefundAt: number | null;
  /** End (exclusive) of the active period [firstPaymentAt, activeEnd). */
  activeEnd: number;
  /** Payments − refunds per currency, rows before asOf only; sorted by currency. */
  netUnitsByCurrency: ReadonlyMap<string, bigint>;
  /** Union of the connection windows of all the account's users, per platform, sorted, disjoint. */
  connectionWindowsByPlatform: ReadonlyMap<string, ReadonlyArray<TimeWindow>>;
  /** Counted usage per platform (call seconds + SMS segments × seconds per segment); sorted by platform. */
  usageUnitsByPlatform: ReadonlyMap<string, Decimal>;
  /** Connected events inside the active period, ordered by (at, platform, userId). */
  touchPath: ReadonlyArray<Touch>;
  orphanDisconnects: number;
  redundantConnects: number;
}

export function contextParamsFromRuleset(ruleset: Ruleset): ContextParams {
  return {
    alwaysAvailable: ruleset.always_available,
    smsSecondsPerSegment: new Decimal(ruleset.sms_seconds_per_segment),
    stopAtFirstRefund: ruleset.stop_at_first_refund,
  };
}

/** An account's context without its usage: what the account's payments, refunds and integration events give. */
export type AccountTimeline = Omit<AccountContext, 'usageUnitsByPlatform'>;

export function buildAccountContext(
  input: AccountInput,
  options: { asOf: number; params: ContextParams },
): AccountContext {
  const timeline = buildAccountTimeline(input, options.asOf, options.params);
  return { ...timeline, usageUnitsByPlatform: usageUnitsOfRows(input, options.params, usageCountingWindows(timeline, options.params)) };
}

/**
 * Everything of the context but the usage. Usage is summed from the windows this gives
 * (`usageCountingWindows`), in JS from rows (`buildAccountContext`) or in SQL for a whole shard
 * (activities/run/buildContextShard.ts), with `usageUnitsOfTotals`.
 */
export function buildAccountTimeline(
  input: Pick<AccountInput, 'accountId' | 'payments' | 'refunds' | 'integrationEvents'>,
  asOf: number,
  params: ContextParams,
): AccountTimeline {
  return buildAccountTimelineWithCarry(input, asOf, params).timeline;
}

/**
 * The timeline and the connections still open at its cutoff: what a later cutoff continues from
 * (domain/contextCarry.ts, docs/decisions.md "Contexts": incremental months).
 */
export function buildAccountTimelineWithCarry(
  input: Pick<AccountInput, 'accountId' | 'payments' | 'refunds' | 'integrationEvents'>,
  asOf: number,
  params: ContextParams,
): { timeline: AccountTimeline; openConnections: OpenConnection[] } {
  const beforeCutoff = <T extends { at: number }>(rows: ReadonlyArray<T>): T[] => rows.filter((r) => r.at < asOf);

  const payments = beforeCutoff(input.payments);
  const refunds = beforeCutoff(input.refunds);
  const firstPaymentAt = earliest(payments);
  const firstRefundAt = earliest(refunds);
  const activeEnd = params.stopAtFirstRefund && firstRefundAt !== null ? firstRefundAt : asOf;
  const inActivePeriod = (at: number): boolean => firstPaymentAt !== null && firstPaymentAt <= at && at < activeEnd;

  const events = beforeCutoff(input.integrationEvents);
  const windows = connectionWindows(events, activeEnd);

  const timeline: AccountTimeline = {
    accountId: input.accountId,
    asOf,
    firstPaymentAt,
    firstRefundAt,
    activeEnd,
    netUnitsByCurrency: netUnitsByCurrency(payments, refunds),
    connectionWindowsByPlatform: windows.byPlatform,
    touchPath: touchPath(events, inActivePeriod),
    orphanDisconnects: windows.orphanDisconnects,
    redundantConnects: windows.redundantConnects,
  };
  return { timeline, openConnections: windows.open };
}

/**
 * Per platform, the sorted, disjoint windows in which a usage row counts (docs/decisions.md, "Contexts"): inside the
 * active period and, unless the platform is always available, inside one of its connection
 * windows. Platforms absent here count no usage. With `countFrom`, only the part from that instant
 * on: a continued context counts the rows after the previous cutoff only (domain/contextCarry.ts).
 */
export function usageCountingWindows(timeline: AccountTimeline, params: ContextParams, countFrom: number | null = null): Map<string, TimeWindow[]> {
  const counting = new Map<string, TimeWindow[]>();
  const { firstPaymentAt, activeEnd } = timeline;
  if (firstPaymentAt === null) return counting; // never paid: empty active period
  const lower = countFrom === null ? firstPaymentAt : Math.max(firstPaymentAt, countFrom);
  if (lower >= activeEnd) return counting; // empty active period (or nothing of it after countFrom)
  for (const [platform, windows] of timeline.connectionWindowsByPlatform) {
    const clipped = windows
      .map((w) => ({ startAt: Math.max(w.startAt, lower), endAt: Math.min(w.endAt, activeEnd) }))
      .filter((w) => w.startAt < w.endAt);
    if (clipped.length > 0) counting.set(platform, clipped);
  }
  for (const platform of params.alwaysAvailable) counting.set(platform, [{ startAt: lower, endAt: activeEnd }]);
  return sortedMap(counting);
}

export function earliest(rows: ReadonlyArray<{ at: number }>): number | null {
  return rows.reduce<number | null>((min, r) => (min === null || r.at < min ? r.at : min), null);
}

export function netUnitsByCurrency(payments: ReadonlyArray<PaymentRow>, refunds: ReadonlyArray<RefundRow>): Map<string, bigint> {
  const net = new Map<string, bigint>();
  for (const p of payments) net.set(p.currency, (net.get(p.currency) ?? 0n) + p.amountUnits);
  for (const r of refunds) net.set(r.currency, (net.get(r.currency) ?? 0n) - r.amountUnits);
  return sortedMap(net);
}

/**
 * Connection windows from the events, in order; `carriedOpen` are the connections open before the
 * first of them (a continued context, domain/contextCarry.ts). Also returns the connections still
 * open after the last event, sorted by (user, platform).
 */
export function connectionWindows(
  events: ReadonlyArray<IntegrationEventRow>,
  activeEnd: number,
  carriedOpen: ReadonlyArray<OpenConnection> = [],
): { byPlatform: Map<string, TimeWindow[]>; orphanDisconnects: number; redundantConnects: number; open: OpenConnection[] } {
  // At one instant a connect is applied before a disconnect, so that the disconnect closes it.
  const ordered = [...events].sort(
    (a, b) =>
      a.at - b.at ||
      (a.action === b.action ? 0 : a.action === 'connected' ? -1 : 1) ||
      compareStrings(a.id, b.id),
  );
  const openSince = new Map<string, number>(); // key: user and platform
  for (const c of carriedOpen) openSince.set(JSON.stringify([c.userId, c.platform]), c.since);
  const raw = new Map<string, TimeWindow[]>();
  let orphanDisconnects = 0;
  let redundantConnects = 0;
  const add = (platform: string, startAt: number, endAt: number): void => {
    if (endAt <= startAt) return; // empty half-open window
    const list = raw.get(platform) ?? [];
    list.push({ startAt, endAt });
    raw.set(platform, list);
  };

  for (const e of ordered) {
    const key = JSON.stringify([e.userId, e.platform]);
    const start = openSince.get(key);
    if (e.action === 'connected') {
      if (start === undefined) openSince.set(key, e.at);
      else redundantConnects += 1;
    } else if (start === undefined) {
      orphanDisconnects += 1;
    } else {
      add(e.platform, start, e.at);
      openSince.delete(key);
    }
  }
  const open: OpenConnection[] = [];
  for (const [key, start] of openSince) {
    const [userId, platform] = JSON.parse(key) as [string, string];
    add(platform, start, activeEnd);
    open.push({ userId, platform, since: start });
  }
  open.sort((a, b) => compareStrings(a.userId, b.userId) || compareStrings(a.platform, b.platform));

  const byPlatform = new Map<string, TimeWindow[]>();
  for (const [platform, list] of raw) byPlatform.set(platform, unionWindows(list));
  return { byPlatform: sortedMap(byPlatform), orphanDisconnects, redundantConnects, open };
}

/** Merges overlapping or adjacent half-open windows ([a, b) and [b, c) become [a, c)). */
function unionWindows(windows: ReadonlyArray<TimeWindow>): TimeWindow[] {
  const sorted = [...windows].sort((a, b) => a.startAt - b.startAt || a.endAt - b.endAt);
  const merged: TimeWindow[] = [];
  for (const w of sorted) {
    const last = merged[merged.length - 1];
    if (last !== undefined && w.startAt <= last.endAt) last.endAt = Math.max(last.endAt, w.endAt);
    else merged.push({ ...w });
  }
  return merged;
}

/** True when `at` lies in one of the sorted, disjoint half-open windows (binary search). */
function insideWindows(windows: ReadonlyArray<TimeWindow>, at: number): boolean {
  let lo = 0;
  let hi = windows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const w = windows[mid];
    if (w === undefined) return false;
    if (at < w.startAt) hi = mid - 1;
    else if (at >= w.endAt) lo = mid + 1;
    else return true;
  }
  return false;
}

export function usageUnitsOfRows(
  input: Pick<AccountInput, 'accountId' | 'calls' | 'sms'>,
  params: ContextParams,
  counting: ReadonlyMap<string, ReadonlyArray<TimeWindow>>,
): Map<string, Decimal> {
  const counts = (platform: string, at: number): boolean => insideWindows(counting.get(platform) ?? [], at);
  const callSeconds = new Map<string, Decimal>();
  const smsSegments = new Map<string, Decimal>();
  const add = (totals: Map<string, Decimal>, platform: string, units: Decimal.Value): void => {
    totals.set(platform, (totals.get(platform) ?? new ExactDecimal(0)).plus(units));
  };
  for (const call of input.calls) {
    if (!call.durationSeconds.isFinite() || call.durationSeconds.lt(0)) {
      const got = call.durationSeconds.toString();
      throw new InvalidInputError(`account ${input.accountId}: call duration must be >= 0 seconds (got ${got})`);
    }
    if (counts(call.platform, call.at)) add(callSeconds, call.platform, new ExactDecimal(call.durationSeconds));
  }
  for (const sms of input.sms) {
    if (!Number.isSafeInteger(sms.segments) || sms.segments < 0) {
      throw new InvalidInputError(`account ${input.accountId}: SMS segments must be a whole number >= 0 (got ${sms.segments})`);
    }
    if (counts(sms.platform, sms.at)) add(smsSegments, sms.platform, sms.segments);
  }
  return usageUnitsOfTotals(callSeconds, smsSegments, params);
}

/**
 * Counted usage per platform from the totals of the counted rows: call seconds + SMS segments ×
 * seconds per segment, exact, sorted by platform. A platform with counted rows is present even
 * when they sum to 0.
 */
export function usageUnitsOfTotals(
  callSecondsByPlatform: ReadonlyMap<string, Decimal.Value>,
  smsSegmentsByPlatform: ReadonlyMap<string, Decimal.Value>,
  params: ContextParams,
): Map<string, Decimal> {
  const totals = new Map<string, Decimal>();
  const add = (platform: string, units: Decimal): void => {
    totals.set(platform, (totals.get(platform) ?? new ExactDecimal(0)).plus(units));
  };
  const secondsPerSegment = new ExactDecimal(params.smsSecondsPerSegment);
  for (const [platform, seconds] of callSecondsByPlatform) add(platform, new ExactDecimal(seconds));
  for (const [platform, segments] of smsSegmentsByPlatform) add(platform, secondsPerSegment.times(segments));
  const result = new Map<string, Decimal>();
  for (const [platform, units] of totals) result.set(platform, toPlainDecimal(units));
  return sortedMap(result);
}

export function touchPath(events: ReadonlyArray<IntegrationEventRow>, inActivePeriod: (at: number) => boolean): Touch[] {
  const touches = events
    .filter((e) => e.action === 'connected' && inActivePeriod(e.at))
    .map(({ at, platform, userId }) => ({ at, platform, userId }))
    .sort((a, b) => a.at - b.at || compareStrings(a.platform, b.platform) || compareStrings(a.userId, b.userId));
  return touches.filter((t, i) => {
    const previous = touches[i - 1];
    return previous === undefined || previous.at !== t.at || previous.platform !== t.platform || previous.userId !== t.userId;
  });
}

export function sortedMap<V>(map: ReadonlyMap<string, V>): Map<string, V> {
  return new Map([...map.entries()].sort(([a], [b]) => compareStrings(a, b)));
}
