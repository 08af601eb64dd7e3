// A context continued from an earlier cutoff with the rows in between equals the context built
// from every row (docs/decisions.md, "Contexts": incremental months): worked examples at the
// edges, and a property over random histories split at random cutoffs, chained.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildAccountContext, buildAccountTimelineWithCarry, usageCountingWindows, usageUnitsOfRows,
  type AccountContext, type AccountInput, type ContextParams,
} from '../../domain/context';
import { continueAccountTimeline, continuedUsage, type CarriedContext } from '../../domain/contextCarry';
import { account, dec, DEFAULT_PARAMS, describe, h, test } from './helpers';

/** The context at `asOf` built in steps: fully at the first cutoff, then continued cutoff by cutoff. */
function builtInSteps(input: AccountInput, cutoffs: ReadonlyArray<number>, params: ContextParams): AccountContext {
  const [first, ...rest] = cutoffs;
  const start = buildAccountTimelineWithCarry(input, first!, params);
  const startUsage = usageUnitsOfRows(input, params, usageCountingWindows(start.timeline, params));
  let carried: CarriedContext = { context: { ...start.timeline, usageUnitsByPlatform: startUsage }, openConnections: start.openConnections };
  let last: AccountContext = { ...start.timeline, usageUnitsByPlatform: startUsage };
  for (const asOf of rest) {
    const from = carried.context.asOf;
    const next = continueAccountTimeline(carried, input, asOf, params);
    const tailRows = { ...input, calls: input.calls.filter((c) => c.at >= from), sms: input.sms.filter((s) => s.at >= from) };
    const tailUsage = usageUnitsOfRows(tailRows, params, usageCountingWindows(next.timeline, params, from));
    last = { ...next.timeline, usageUnitsByPlatform: continuedUsage(carried.context.usageUnitsByPlatform, tailUsage) };
    carried = { context: last, openConnections: next.openConnections };
  }
  return last;
}

/** Comparable plain values; connection windows only from `from` on (the continued context holds no earlier ones). */
function comparable(ctx: AccountContext, from: number) {
  return {
    ...ctx,
    netUnitsByCurrency: [...ctx.netUnitsByCurrency].map(([c, u]) => `${c} ${u}`),
    usageUnitsByPlatform: [...ctx.usageUnitsByPlatform].map(([p, u]) => `${p} ${u.toFixed()}`),
    connectionWindowsByPlatform: [...ctx.connectionWindowsByPlatform]
      .map(([p, ws]) => [p, ws.filter((w) => w.endAt > from).map((w) => [Math.max(w.startAt, from), w.endAt])] as const)
      .filter(([, ws]) => ws.length > 0),
  };
}

function assertSameAsFull(input: AccountInput, cutoffs: number[], params: ContextParams = DEFAULT_PARAMS): void {
  const asOf = cutoffs[cutoffs.length - 1]!;
  const previousCutoff = cutoffs[cutoffs.length - 2] ?? -Infinity;
  const full = buildAccountContext(input, { asOf, params });
  assert.deepEqual(comparable(builtInSteps(input, cutoffs, params), previousCutoff), comparable(full, previousCutoff));
}

const pay = (id: string, at: number) => ({ id, amountUnits: 100_000n, currency: 'USD', at });
const refund = (id: string, at: number) => ({ id, amountUnits: 10_000n, currency: 'USD', at, paymentId: null });
const ev = (id: string, at: number, action: 'connected' | 'disconnected', platform = 'zapier', userId = 'u1') => ({ id, userId, platform, action, at });
const call = (at: number, platform: string, seconds: string, userId = 'u1') => ({ userId, platform, at, durationSeconds: dec(seconds) });

describe('continueAccountTimeline: worked examples', () => {
  test('a window open at the cutoff keeps counting until its disconnect after it', () => {
    const input = account({
      payments: [pay('p1', h(1))],
      integrationEvents: [ev('e1', h(2), 'connected'), ev('e2', h(15), 'disconnected')],
      calls: [call(h(5), 'zapier', '10'), call(h(12), 'zapier', '7'), call(h(16), 'zapier', '1000')],
    });
    const ctx = builtInSteps(input, [h(10), h(20)], DEFAULT_PARAMS);
    assert.equal(ctx.usageUnitsByPlatform.get('zapier')?.toFixed(), '17');
    assert.deepEqual(ctx.connectionWindowsByPlatform.get('zapier'), [{ startAt: h(10), endAt: h(15) }]);
    assertSameAsFull(input, [h(10), h(20)]);
  });

  test('a first payment after the cutoff starts the active period there; earlier rows stay uncounted', () => {
    const input = account({
      payments: [pay('p1', h(12))],
      integrationEvents: [ev('e1', h(2), 'connected'), ev('e2', h(13), 'connected', 'slack')],
      calls: [call(h(5), 'zapier', '10'), call(h(11), 'web', '3'), call(h(14), 'zapier', '7'), call(h(14), 'web', '2')],
    });
    const ctx = builtInSteps(input, [h(10), h(20)], DEFAULT_PARAMS);
    assert.equal(ctx.firstPaymentAt, h(12));
    assert.deepEqual(ctx.touchPath.map((t) => t.platform), ['slack']);
    assert.deepEqual([...ctx.usageUnitsByPlatform].map(([p, u]) => `${p} ${u.toFixed()}`), ['web 2', 'zapier 7']);
    assertSameAsFull(input, [h(10), h(20)]);
  });

  test('a refund after the cutoff ends the active period; a disconnect with no open window is an orphan', () => {
    const input = account({
      payments: [pay('p1', h(1))],
      refunds: [refund('r1', h(14))],
      integrationEvents: [ev('e1', h(2), 'connected'), ev('e2', h(11), 'connected'), ev('e3', h(12), 'disconnected'), ev('e4', h(13), 'disconnected'), ev('e5', h(15), 'connected')],
      calls: [call(h(9), 'zapier', '1'), call(h(11), 'zapier', '2'), call(h(12), 'zapier', '4'), call(h(14), 'web', '8')],
    });
    const ctx = builtInSteps(input, [h(10), h(20)], DEFAULT_PARAMS);
    assert.equal(ctx.activeEnd, h(14));
    assert.equal(ctx.orphanDisconnects, 1);
    assert.equal(ctx.redundantConnects, 1);
    assert.deepEqual(ctx.touchPath.map((t) => t.at), [h(2), h(11)]);
    assert.deepEqual([...ctx.usageUnitsByPlatform].map(([p, u]) => `${p} ${u.toFixed()}`), ['zapier 3']);
    assertSameAsFull(input, [h(10), h(20)]);
  });

  test('rows exactly at the cutoff belong to the tail', () => {
    const input = account({
      payments: [pay('p1', h(10))],
      integrationEvents: [ev('e1', h(10), 'connected'), ev('e2', h(10), 'disconnected', 'slack')],
      calls: [call(h(10), 'zapier', '5')],
    });
    const ctx = builtInSteps(input, [h(10), h(20)], DEFAULT_PARAMS);
    assert.equal(ctx.firstPaymentAt, h(10));
    assert.equal(ctx.orphanDisconnects, 1);
    assert.equal(ctx.usageUnitsByPlatform.get('zapier')?.toFixed(), '5');
    assertSameAsFull(input, [h(10), h(20)]);
  });

  test('a continued context cannot go back in time', () => {
    const start = buildAccountTimelineWithCarry(account({}), h(10), DEFAULT_PARAMS);
    const carried = { context: { ...start.timeline, usageUnitsByPlatform: new Map() }, openConnections: [] };
    assert.throws(() => continueAccountTimeline(carried, account({}), h(5), DEFAULT_PARAMS), /cannot continue/);
  });
});

// Random histories on a small grid of hours, so that instants collide (ties between connects and
// disconnects, duplicate touches, rows exactly at a cutoff) and users and platforms repeat.
const hour = fc.integer({ min: 0, max: 40 });
const platform = fc.constantFrom('web', 'zapier', 'slack');
const user = fc.constantFrom('u1', 'u2');
const historyArb = fc.record({
  payments: fc.array(fc.record({ at: hour, currency: fc.constantFrom('USD', 'EUR'), units: fc.bigInt({ min: 1n, max: 10_000n }) }), { maxLength: 4 }),
  refunds: fc.array(fc.record({ at: hour, units: fc.bigInt({ min: 1n, max: 10_000n }) }), { maxLength: 2 }),
  events: fc.array(fc.record({ at: hour, action: fc.constantFrom('connected' as const, 'disconnected' as const), platform, user }), { maxLength: 12 }),
  calls: fc.array(fc.record({ at: hour, platform, user, seconds: fc.integer({ min: 0, max: 500 }) }), { maxLength: 10 }),
  sms: fc.array(fc.record({ at: hour, platform, user, segments: fc.integer({ min: 0, max: 5 }) }), { maxLength: 6 }),
});

type History = typeof historyArb extends fc.Arbitrary<infer T> ? T : never;

function inputOf(history: History): AccountInput {
  return account({
    payments: history.payments.map((p, i) => ({ id: `p${i}`, amountUnits: p.units, currency: p.currency, at: h(p.at) })),
    refunds: history.refunds.map((r, i) => ({ id: `r${i}`, amountUnits: r.units, currency: 'USD', at: h(r.at), paymentId: null })),
    integrationEvents: history.events.map((e, i) => ({ id: `e${i}`, userId: e.user, platform: e.platform, action: e.action, at: h(e.at) })),
    calls: history.calls.map((c) => ({ userId: c.user, platform: c.platform, at: h(c.at), durationSeconds: dec(c.seconds) })),
    sms: history.sms.map((s) => ({ userId: s.user, platform: s.platform, at: h(s.at), segments: s.segments })),
  });
}

describe('continueAccountTimeline: property', () => {
  test('continued cutoff by cutoff = built from every row, for any split', () => {
    const cutoffsArb = fc.uniqueArray(fc.integer({ min: 0, max: 42 }), { minLength: 2, maxLength: 4 }).map((xs) => [...xs].sort((a, b) => a - b).map(h));
    fc.assert(
      fc.property(historyArb, cutoffsArb, fc.boolean(), (history, cutoffs, stopAtFirstRefund) => {
        assertSameAsFull(inputOf(history), cutoffs, { ...DEFAULT_PARAMS, stopAtFirstRefund });
      }),
      { numRuns: 1000 },
    );
  });
});
