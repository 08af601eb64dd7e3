import type { Decimal } from 'decimal.js';
import {
  connectionWindows, earliest, netUnitsByCurrency, sortedMap, touchPath,
  type AccountContext, type AccountInput, type AccountTimeline, type ContextParams, type OpenConnection, type TimeWindow,
} from './context';
import { ExactDecimal, toPlainDecimal } from './exactDecimal';

// Incremental contexts (docs/decisions.md, "Contexts": incremental months). A context at a later
// cutoff is the context at an earlier cutoff continued with the rows in between, because every
// part of it is a prefix computation over rows in instant order:
// - the first payment and first refund stay once they exist; the net amounts add up;
// - the active period's bounds only move at or after the earlier cutoff (the first payment, when
//   there was none, and the active end, which was the earlier cutoff unless a refund ended it), so
//   every row before the earlier cutoff is in or out of it exactly as before;
// - the connection state machine processes events in instant order, so the windows before the
//   earlier cutoff are final and the connections open there continue from where they stood;
// - usage and touches before the earlier cutoff were counted inside the same windows, so the
//   continued context adds the counts of the rows from the earlier cutoff on.
// What a stored context does not hold for this is the set of connections open at its cutoff: it is
// carried beside it.

/** A stored context and what continuing it needs beyond what the books read. */
export interface CarriedContext {
  /** The context at its cutoff (`asOf`); its connection windows are not needed. */
  context: Omit<AccountContext, 'connectionWindowsByPlatform'>;
  /** The (user, platform) connections open at that cutoff. */
  openConnections: ReadonlyArray<OpenConnection>;
}

/** The rows from the carried cutoff (inclusive) to the new one (exclusive); others are ignored. */
export type ContextTail = Pick<AccountInput, 'payments' | 'refunds' | 'integrationEvents'>;

/**
 * The timeline at `asOf`, continued from `previous` with the tail's rows. Its connection windows
 * are the part from the previous cutoff on (what counts the tail's usage: `usageCountingWindows`
 * with `countFrom` = the previous cutoff); its touch path, counts and amounts are the whole ones.
 */
export function continueAccountTimeline(
  previous: CarriedContext,
  tail: ContextTail,
  asOf: number,
  params: ContextParams,
): { timeline: AccountTimeline; openConnections: OpenConnection[] } {
  const from = previous.context.asOf;
  if (asOf < from) throw new RangeError(`account ${previous.context.accountId}: cannot continue a context at ${from} back to ${asOf}`);
  const inTail = <T extends { at: number }>(rows: ReadonlyArray<T>): T[] => rows.filter((r) => r.at >= from && r.at < asOf);
  const payments = inTail(tail.payments);
  const refunds = inTail(tail.refunds);
  const events = inTail(tail.integrationEvents);

  const firstPaymentAt = previous.context.firstPaymentAt ?? earliest(payments);
  const firstRefundAt = previous.context.firstRefundAt ?? earliest(refunds);
  const activeEnd = params.stopAtFirstRefund && firstRefundAt !== null ? firstRefundAt : asOf;
  const inActivePeriod = (at: number): boolean => firstPaymentAt !== null && firstPaymentAt <= at && at < activeEnd;
  const windows = connectionWindows(events, activeEnd, previous.openConnections);

  const timeline: AccountTimeline = {
    accountId: previous.context.accountId,
    asOf,
    firstPaymentAt,
    firstRefundAt,
    activeEnd,
    netUnitsByCurrency: addedUp(previous.context.netUnitsByCurrency, netUnitsByCurrency(payments, refunds), (a, b) => a + b),
    connectionWindowsByPlatform: windowsFrom(windows.byPlatform, from),
    // Every carried touch is earlier than every new one; duplicates share an instant, so none spans the cutoff.
    touchPath: [...previous.context.touchPath, ...touchPath(events, inActivePeriod)],
    orphanDisconnects: previous.context.orphanDisconnects + windows.orphanDisconnects,
    redundantConnects: previous.context.redundantConnects + windows.redundantConnects,
  };
  return { timeline, openConnections: windows.open };
}

/** The carried usage plus the tail's counted usage, exact, sorted by platform. */
export function continuedUsage(carried: ReadonlyMap<string, Decimal>, tail: ReadonlyMap<string, Decimal>): Map<string, Decimal> {
  const sum = addedUp(carried, tail, (a, b) => new ExactDecimal(a).plus(b));
  return new Map([...sum].map(([platform, units]) => [platform, toPlainDecimal(units)]));
}

function addedUp<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>, add: (x: V, y: V) => V): Map<string, V> {
  const sum = new Map(a);
  for (const [key, value] of b) {
    const before = sum.get(key);
    sum.set(key, before === undefined ? value : add(before, value));
  }
  return sortedMap(sum);
}

function windowsFrom(byPlatform: ReadonlyMap<string, ReadonlyArray<TimeWindow>>, from: number): Map<string, TimeWindow[]> {
  const clipped = new Map<string, TimeWindow[]>();
  for (const [platform, windows] of byPlatform) {
    const list = windows.filter((w) => w.endAt > from).map((w) => ({ startAt: Math.max(w.startAt, from), endAt: w.endAt }));
    if (list.length > 0) clipped.set(platform, list);
  }
  return clipped;
}
