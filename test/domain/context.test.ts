import assert from 'node:assert/strict';
import { buildAccountContext, contextParamsFromRuleset, type AccountInput, type ContextParams } from '../../domain/context';
import { parseRuleset } from '../../domain/ruleset';
import { account, dec, DEFAULT_PARAMS, describe, h, plainMap, test } from './helpers';

const AS_OF = h(1000);

function build(input: AccountInput, params: ContextParams = DEFAULT_PARAMS, asOf = AS_OF) {
  return buildAccountContext(input, { asOf, params });
}

const usage = (ctx: ReturnType<typeof build>) => plainMap(ctx.usageUnitsByPlatform, (u) => u.toFixed());
const windowsOf = (ctx: ReturnType<typeof build>) =>
  plainMap(ctx.connectionWindowsByPlatform, (ws) => ws.map((w) => [w.startAt, w.endAt]));

const pay = (id: string, at: number, amountUnits = 100_000n, currency = 'USD') => ({ id, amountUnits, currency, at });
const refund = (id: string, at: number, amountUnits = 10_000n, currency = 'USD', paymentId: string | null = null) => ({
  id,
  amountUnits,
  currency,
  at,
  paymentId,
});
const connect = (id: string, at: number, platform: string, userId = 'u1') => ({ id, userId, platform, action: 'connected' as const, at });
const disconnect = (id: string, at: number, platform: string, userId = 'u1') => ({ id, userId, platform, action: 'disconnected' as const, at });
const call = (at: number, platform: string, seconds: string, userId = 'u1') => ({ userId, platform, at, durationSeconds: dec(seconds) });

describe('active period', () => {
  test('usage exactly at the first payment counts, exactly at the first refund does not', () => {
    const ctx = build(
      account({
        payments: [pay('p2', h(30)), pay('p1', h(10))],
        refunds: [refund('r1', h(20))],
        calls: [call(h(10), 'web', '100'), call(h(19), 'web', '7'), call(h(20), 'web', '50'), call(h(9), 'web', '1000')],
      }),
    );
    assert.equal(ctx.firstPaymentAt, h(10));
    assert.equal(ctx.firstRefundAt, h(20));
    assert.equal(ctx.activeEnd, h(20));
    assert.deepEqual(usage(ctx), { web: '107' });
  });

  test('with stop_at_first_refund false the active period runs to asOf', () => {
    const input = account({
      payments: [pay('p1', h(10))],
      refunds: [refund('r1', h(20))],
      integrationEvents: [connect('e1', h(25), 'hubspot')],
      calls: [call(h(15), 'web', '10'), call(h(25), 'web', '5'), call(h(30), 'hubspot', '3')],
    });
    const ctx = build(input, { ...DEFAULT_PARAMS, stopAtFirstRefund: false });
    assert.equal(ctx.activeEnd, AS_OF);
    assert.deepEqual(usage(ctx), { hubspot: '3', web: '15' });
    assert.deepEqual(ctx.touchPath, [{ at: h(25), platform: 'hubspot', userId: 'u1' }]);
    // The same account with the default switch stops at the refund.
    const stopped = build(input);
    assert.deepEqual(usage(stopped), { web: '10' });
    assert.deepEqual(stopped.touchPath, []);
  });

  test('rows at or after asOf are ignored', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(10)), pay('p2', AS_OF, 999_999n)],
        refunds: [refund('r1', AS_OF)],
        integrationEvents: [connect('e1', h(11), 'zapier'), disconnect('e2', AS_OF, 'zapier'), connect('e3', AS_OF, 'slack')],
        calls: [call(AS_OF - 1, 'web', '4'), call(AS_OF, 'web', '60')],
      }),
    );
    assert.equal(ctx.firstRefundAt, null);
    assert.deepEqual(plainMap(ctx.netUnitsByCurrency, (u) => u), { USD: 100_000n });
    // The disconnect at asOf is not seen: the window is still open and ends at activeEnd = asOf.
    assert.deepEqual(windowsOf(ctx), { zapier: [[h(11), AS_OF]] });
    assert.deepEqual(ctx.touchPath, [{ at: h(11), platform: 'zapier', userId: 'u1' }]);
    assert.deepEqual(usage(ctx), { web: '4' });
  });

  test('an account without a payment has an empty active period', () => {
    const ctx = build(account({ integrationEvents: [connect('e1', h(1), 'zapier')], calls: [call(h(2), 'web', '9')] }));
    assert.equal(ctx.firstPaymentAt, null);
    assert.deepEqual(usage(ctx), {});
    assert.deepEqual(ctx.touchPath, []);
    assert.deepEqual(windowsOf(ctx), { zapier: [[h(1), AS_OF]] });
  });

  test('a refund before the first payment leaves the active period empty', () => {
    const ctx = build(account({ payments: [pay('p1', h(10))], refunds: [refund('r1', h(5))], calls: [call(h(12), 'web', '9')] }));
    assert.equal(ctx.activeEnd, h(5));
    assert.deepEqual(usage(ctx), {});
  });
});

describe('net revenue', () => {
  test('payments − refunds per currency', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(1), 100_000n), pay('p2', h(2), 50_000n), pay('p3', h(3), 70_000n, 'EUR'), pay('p4', h(4), 1n, 'GBP')],
        refunds: [refund('r1', h(5), 30_000n), refund('r2', h(6), 70_000n, 'EUR'), refund('r3', h(7), 5n, 'GBP'), refund('r4', h(8), 2n, 'JPY')],
      }),
    );
    // USD 10 + 5 − 3 = 12; EUR 7 − 7 = 0; GBP 0.0001 − 0.0005; JPY −0.0002 (a refund with no payment).
    assert.deepEqual(plainMap(ctx.netUnitsByCurrency, (u) => u), { EUR: 0n, GBP: -4n, JPY: -2n, USD: 120_000n });
    assert.deepEqual([...ctx.netUnitsByCurrency.keys()], ['EUR', 'GBP', 'JPY', 'USD']);
  });
});

describe('connection windows', () => {
  test('a reconnect while connected and a duplicate connect open no second window', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(0))],
        integrationEvents: [
          connect('e1', h(1), 'hubspot'),
          connect('e2', h(3), 'hubspot'), // reconnect while connected
          disconnect('e3', h(5), 'hubspot'),
          disconnect('e4', h(6), 'hubspot'), // nothing open any more: orphan
          connect('e5', h(8), 'zapier'),
          connect('e6', h(8), 'zapier'), // exact duplicate (another event id)
          disconnect('e7', h(9), 'zapier'),
        ],
        calls: [call(h(4), 'hubspot', '10'), call(h(5), 'hubspot', '20'), call(h(6), 'hubspot', '40'), call(h(8), 'zapier', '2')],
      }),
    );
    assert.deepEqual(windowsOf(ctx), { hubspot: [[h(1), h(5)]], zapier: [[h(8), h(9)]] });
    assert.equal(ctx.redundantConnects, 2);
    assert.equal(ctx.orphanDisconnects, 1);
    // Windows are half-open: usage at the disconnect instant (h5) is outside.
    assert.deepEqual(usage(ctx), { hubspot: '10', zapier: '2' });
    // The reconnect is a touch; the exact duplicate collapses into one.
    assert.deepEqual(
      ctx.touchPath.map((t) => [t.at, t.platform]),
      [[h(1), 'hubspot'], [h(3), 'hubspot'], [h(8), 'zapier']],
    );
  });

  test('a reconnect after a disconnect opens a new window', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(0))],
        integrationEvents: [connect('e1', h(1), 'slack'), disconnect('e2', h(2), 'slack'), connect('e3', h(4), 'slack')],
        calls: [call(h(3), 'slack', '100'), call(h(4), 'slack', '1'), call(h(50), 'slack', '2')],
      }),
    );
    assert.deepEqual(windowsOf(ctx), { slack: [[h(1), h(2)], [h(4), AS_OF]] });
    assert.deepEqual(usage(ctx), { slack: '3' });
  });

  test('a disconnect with no open window is ignored and counted', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(0))],
        integrationEvents: [disconnect('e1', h(1), 'pipedrive'), connect('e2', h(2), 'pipedrive', 'u2'), disconnect('e3', h(3), 'pipedrive')],
      }),
    );
    // e3 belongs to u1, who never connected: the u2 window stays open.
    assert.equal(ctx.orphanDisconnects, 2);
    assert.deepEqual(windowsOf(ctx), { pipedrive: [[h(2), AS_OF]] });
  });

  test('a disconnect at the instant of the connect closes it: the window is empty', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(0))],
        integrationEvents: [disconnect('a-first-by-id', h(1), 'zapier'), connect('z-last-by-id', h(1), 'zapier')],
        calls: [call(h(1), 'zapier', '5')],
      }),
    );
    assert.equal(ctx.orphanDisconnects, 0);
    assert.deepEqual(windowsOf(ctx), {});
    assert.deepEqual(usage(ctx), {});
    assert.deepEqual(ctx.touchPath.map((t) => t.platform), ['zapier']);
  });

  test('windows of different users are unioned per platform; open windows end at activeEnd', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(0))],
        refunds: [refund('r1', h(100))],
        integrationEvents: [
          connect('e1', h(1), 'hubspot', 'u1'),
          disconnect('e2', h(3), 'hubspot', 'u1'),
          connect('e3', h(2), 'hubspot', 'u2'),
          disconnect('e4', h(5), 'hubspot', 'u2'),
          connect('e5', h(5), 'hubspot', 'u3'),
          disconnect('e6', h(6), 'hubspot', 'u3'),
          connect('e7', h(50), 'zapier', 'u1'),
          connect('e8', h(120), 'slack', 'u1'), // after the refund: empty once clipped to activeEnd
        ],
      }),
    );
    assert.deepEqual(windowsOf(ctx), { hubspot: [[h(1), h(6)]], zapier: [[h(50), h(100)]] });
  });

  test('a connection before the first payment counts for usage after it, not in the touch path', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(2))],
        integrationEvents: [connect('e1', h(1), 'zapier')],
        calls: [call(h(1), 'zapier', '500'), call(h(3), 'zapier', '60')],
      }),
    );
    assert.deepEqual(windowsOf(ctx), { zapier: [[h(1), AS_OF]] });
    assert.deepEqual(usage(ctx), { zapier: '60' });
    assert.deepEqual(ctx.touchPath, []);
  });
});

describe('usage units', () => {
  test('always-available platforms count without a connection, others do not', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(0))],
        calls: [call(h(1), 'web', '431.5'), call(h(2), 'mobile', '12'), call(h(3), 'slack', '99')],
        sms: [{ userId: 'u1', platform: 'web', at: h(4), segments: 3 }, { userId: 'u1', platform: 'slack', at: h(5), segments: 2 }],
      }),
    );
    // web: 431.5 s + 3 segments × 5 s = 446.5
    assert.deepEqual(usage(ctx), { mobile: '12', web: '446.5' });
  });

  test('sms_seconds_per_segment and always_available come from the ruleset', () => {
    const params = contextParamsFromRuleset(parseRuleset('version: v\nsms_seconds_per_segment: 2.5\nalways_available: [Slack]\n', 'r.yaml'));
    const ctx = build(
      account({
        payments: [pay('p1', h(0))],
        calls: [call(h(1), 'web', '10'), call(h(1), 'slack', '0.25')],
        sms: [{ userId: 'u9', platform: 'slack', at: h(2), segments: 3 }],
      }),
      params,
    );
    // slack: 0.25 + 3 × 2.5 = 7.75; web is not always available in this ruleset.
    assert.deepEqual(usage(ctx), { slack: '7.75' });
  });

  test('long sums stay exact (no 20-digit rounding)', () => {
    const ctx = build(
      account({ payments: [pay('p1', h(0))], calls: [call(h(1), 'web', '12345678901234567890.5'), call(h(2), 'web', '0.0000000001')] }),
    );
    assert.deepEqual(usage(ctx), { web: '12345678901234567890.5000000001' });
  });

  test('bad usage rows are refused', () => {
    assert.throws(() => build(account({ calls: [call(h(1), 'web', '-1')] })), /call duration must be >= 0/);
    assert.throws(() => build(account({ sms: [{ userId: 'u', platform: 'web', at: h(1), segments: 1.5 }] })), /whole number/);
  });
});

describe('touch path', () => {
  test('connected events of the active period ordered by (t, platform, user)', () => {
    const ctx = build(
      account({
        payments: [pay('p1', h(0))],
        integrationEvents: [
          connect('e1', h(2), 'zapier', 'u1'),
          connect('e2', h(1), 'slack', 'u2'),
          connect('e3', h(2), 'hubspot', 'u2'),
          connect('e4', h(2), 'hubspot', 'u1'),
          disconnect('e5', h(3), 'slack', 'u2'),
        ],
      }),
    );
    assert.deepEqual(ctx.touchPath, [
      { at: h(1), platform: 'slack', userId: 'u2' },
      { at: h(2), platform: 'hubspot', userId: 'u1' },
      { at: h(2), platform: 'hubspot', userId: 'u2' },
      { at: h(2), platform: 'zapier', userId: 'u1' },
    ]);
  });
});
