import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { ChannelWeight } from '../../domain/allocation';
import { weighTransaction, type BookName } from '../../domain/books';
import { buildAccountContext, contextParamsFromRuleset, type AccountInput, type PaymentRow, type RefundRow } from '../../domain/context';
import { decideAccountBook, REASONS, type AttributedPayment, type Decision } from '../../domain/decisions';
import { parseRuleset } from '../../domain/ruleset';
import { account, dec, DEFAULT_PARAMS, describe, h, paymentTx, refundTx, test, weights } from './helpers';

const AS_OF = h(1000);
const EVEN = weights([['a', 1], ['b', 1], ['c', 1]]);
const SIXTY_FORTY = weights([['hubspot', '0.6'], ['zapier', '0.4']]);

const pay = (id: string, at: number, amountUnits: bigint, currency = 'USD'): PaymentRow => ({ id, amountUnits, currency, at });
const refund = (id: string, at: number, amountUnits: bigint, paymentId: string | null = null, currency = 'USD'): RefundRow => ({
  id,
  amountUnits,
  currency,
  at,
  paymentId,
});

/**
 * Decides the transactions of the run's period. `history` holds rows from before the period: they
 * shape the context (net revenue) but are not decided again.
 */
function decide(opts: {
  payments?: PaymentRow[];
  refunds?: RefundRow[];
  history?: { payments?: PaymentRow[]; refunds?: RefundRow[] };
  weights: ReadonlyArray<ChannelWeight>;
  prior?: Map<string, AttributedPayment>;
  priorCurrencies?: string[];
}): Decision[] {
  const payments = opts.payments ?? [];
  const refunds = opts.refunds ?? [];
  const ctx = buildAccountContext(
    account({ payments: [...(opts.history?.payments ?? []), ...payments], refunds: [...(opts.history?.refunds ?? []), ...refunds] }),
    { asOf: AS_OF, params: DEFAULT_PARAMS },
  );
  return decideAccountBook({
    ctx,
    book: 'test_book',
    weigh: () => ({ kind: 'weights', weights: opts.weights, ruleName: null }),
    payments: payments.map(paymentTx),
    refunds: refunds.map(refundTx),
    priorAttributedPayments: opts.prior ?? new Map(),
    priorAttributedCurrencies: new Set(opts.priorCurrencies ?? []),
  });
}

/** [id, status, reason, lines as "channel amount"] for compact literals. */
const summary = (decisions: Decision[]) =>
  decisions.map((d) => [d.transactionId, d.status, d.reason, d.lines.map((l) => `${l.channel} ${l.amountUnits}`)]);

describe('payments', () => {
  test('attributed when the net revenue of their currency is positive', () => {
    const decisions = decide({ payments: [pay('p1', h(1), 100n), pay('p2', h(2), 50n)], weights: EVEN });
    assert.deepEqual(decisions[0], {
      transactionId: 'p1',
      kind: 'payment',
      currency: 'USD',
      amountUnits: 100n,
      at: h(1),
      status: 'attributed',
      reason: 'attributed',
      ruleName: null,
      lines: [{ channel: 'a', amountUnits: 34n }, { channel: 'b', amountUnits: 33n }, { channel: 'c', amountUnits: 33n }],
    });
    // 50 / 3 = 16.67 each → 16 each, 2 leftover units to a and b.
    assert.deepEqual(summary(decisions.slice(1)), [['p2', 'attributed', 'attributed', ['a 17', 'b 17', 'c 16']]]);
  });

  test('a payment of zero or less is refused', () => {
    assert.throws(() => decide({ payments: [pay('p1', h(1), 0n)], weights: EVEN }), /payment p1 has a non-positive amount 0/);
  });
});

describe('refunds', () => {
  test('a full refund of one of two payments reverses that payment line by line', () => {
    const decisions = decide({
      payments: [pay('p1', h(1), 100n), pay('p2', h(2), 50n)],
      refunds: [refund('r1', h(3), 100n, 'p1')],
      weights: EVEN,
    });
    assert.deepEqual(summary(decisions), [
      ['p1', 'attributed', 'attributed', ['a 34', 'b 33', 'c 33']],
      ['p2', 'attributed', 'attributed', ['a 17', 'b 17', 'c 16']],
      ['r1', 'attributed', 'refund_of_payment', ['a -34', 'b -33', 'c -33']],
    ]);
    assert.equal(decisions[2]?.amountUnits, -100n);
    assert.equal(decisions[2]?.kind, 'refund');
  });

  test('a full refund of the only payment: net 0, everything excluded', () => {
    const decisions = decide({ payments: [pay('p1', h(1), 100n)], refunds: [refund('r1', h(3), 100n, 'p1')], weights: EVEN });
    assert.deepEqual(summary(decisions), [
      ['p1', 'excluded', 'non_positive_net_revenue', []],
      ['r1', 'excluded', 'non_positive_net_revenue', []],
    ]);
  });

  test('with a payment_id the refund follows that payment’s lines; without one, the account weights', () => {
    // p0 was attributed in an earlier run as hubspot 600 / zapier 400; this run's weights are slack only.
    const prior = new Map([['p0', { currency: 'USD', ruleName: null, lines: [{ channel: 'hubspot', amountUnits: 600n }, { channel: 'zapier', amountUnits: 400n }], reversed: [] }]]);
    const decisions = decide({
      history: { payments: [pay('p0', h(1), 1000n)] },
      refunds: [refund('r1', h(5), 500n, 'p0'), refund('r2', h(6), 30n)],
      weights: weights([['slack', 1]]),
      prior,
      priorCurrencies: ['USD'],
    });
    assert.deepEqual(summary(decisions), [
      ['r1', 'attributed', 'refund_of_payment', ['hubspot -300', 'zapier -200']],
      ['r2', 'attributed', 'refund_by_account_weights', ['slack -30']],
    ]);
  });

  test('a refund larger than the payments: net <= 0, everything excluded', () => {
    const decisions = decide({ payments: [pay('p1', h(1), 10n)], refunds: [refund('r1', h(2), 15n)], weights: EVEN });
    assert.deepEqual(summary(decisions), [
      ['p1', 'excluded', 'non_positive_net_revenue', []],
      ['r1', 'excluded', 'non_positive_net_revenue', []],
    ]);
  });

  test('a refund naming a payment of another currency is split by the account weights of its own currency', () => {
    const decisions = decide({
      payments: [pay('p1', h(1), 1000n, 'EUR'), pay('p2', h(2), 2000n, 'USD')],
      refunds: [refund('r1', h(3), 100n, 'p1', 'USD'), refund('r2', h(4), 10n, 'p1', 'GBP')],
      weights: SIXTY_FORTY,
    });
    assert.deepEqual(summary(decisions), [
      ['p1', 'attributed', 'attributed', ['hubspot 600', 'zapier 400']],
      ['p2', 'attributed', 'attributed', ['hubspot 1200', 'zapier 800']],
      ['r1', 'attributed', 'refund_by_account_weights', ['hubspot -60', 'zapier -40']],
      // No GBP payment was ever attributed, and GBP net is −10.
      ['r2', 'excluded', 'non_positive_net_revenue', []],
    ]);
  });

  test('a refund in a later run reverses revenue attributed earlier even when net has fallen to <= 0', () => {
    const decisions = decide({
      history: { payments: [pay('p0', h(1), 1000n)] },
      refunds: [refund('r1', h(5), 1500n)],
      weights: SIXTY_FORTY,
      prior: new Map([['p0', { currency: 'USD', ruleName: null, lines: [{ channel: 'hubspot', amountUnits: 1000n }], reversed: [] }]]),
      priorCurrencies: ['USD'],
    });
    assert.deepEqual(summary(decisions), [['r1', 'attributed', 'refund_by_account_weights', ['hubspot -900', 'zapier -600']]]);
  });

  test('a refund with positive net but no attributed payment is excluded as no_attributed_payment', () => {
    const decisions = decide({ history: { payments: [pay('p0', h(1), 1000n)] }, refunds: [refund('r1', h(5), 10n, 'p0')], weights: EVEN });
    assert.deepEqual(summary(decisions), [['r1', 'excluded', 'no_attributed_payment', []]]);
  });

  test('a refund of an account with no payment at all is excluded as non_positive_net_revenue', () => {
    const decisions = decide({ refunds: [refund('r1', h(5), 10n)], weights: EVEN });
    assert.deepEqual(summary(decisions), [['r1', 'excluded', 'non_positive_net_revenue', []]]);
  });

  test('payments are decided before refunds, whatever their times', () => {
    const decisions = decide({ payments: [pay('p1', h(2), 90n)], refunds: [refund('r0', h(1), 30n)], weights: EVEN });
    assert.deepEqual(summary(decisions), [
      ['p1', 'attributed', 'attributed', ['a 30', 'b 30', 'c 30']],
      ['r0', 'attributed', 'refund_by_account_weights', ['a -10', 'b -10', 'c -10']],
    ]);
  });

  test('a payment already in the ledger is reversed with its stored lines', () => {
    const decisions = decide({
      payments: [pay('p1', h(1), 100n)],
      refunds: [refund('r1', h(2), 10n, 'p1')],
      weights: weights([['y', 1]]),
      prior: new Map([['p1', { currency: 'USD', ruleName: null, lines: [{ channel: 'x', amountUnits: 100n }], reversed: [] }]]),
      priorCurrencies: ['USD'],
    });
    assert.deepEqual(summary(decisions), [
      ['p1', 'attributed', 'attributed', ['y 100']],
      ['r1', 'attributed', 'refund_of_payment', ['x -10']],
    ]);
  });
});

describe('multi-currency accounts', () => {
  test('each currency is judged on its own net revenue', () => {
    const decisions = decide({
      payments: [pay('p1', h(1), 1000n, 'USD'), pay('p2', h(2), 500n, 'EUR')],
      refunds: [refund('r1', h(3), 500n, 'p2', 'EUR'), refund('r2', h(4), 100n, null, 'USD')],
      weights: SIXTY_FORTY,
    });
    assert.deepEqual(summary(decisions), [
      ['p1', 'attributed', 'attributed', ['hubspot 600', 'zapier 400']],
      ['p2', 'excluded', 'non_positive_net_revenue', []],
      ['r1', 'excluded', 'non_positive_net_revenue', []],
      ['r2', 'attributed', 'refund_by_account_weights', ['hubspot -60', 'zapier -40']],
    ]);
  });

  test('the reason strings are the ones the ledger and the SQL side use', () => {
    assert.deepEqual(REASONS, {
      attributed: 'attributed',
      nonPositiveNetRevenue: 'non_positive_net_revenue',
      refundOfPayment: 'refund_of_payment',
      refundByAccountWeights: 'refund_by_account_weights',
      noAttributedPayment: 'no_attributed_payment',
      unmatchedUser: 'unmatched_user',
      ambiguousUser: 'ambiguous_user',
      noRuleMatched: 'no_rule_matched',
    });
  });
});

describe('property: a run over all time reproduces net revenue × weight share (docs/decisions.md, "Decisions")', () => {
  const ruleset = parseRuleset(readFileSync(new URL('../../rulesets/default.yaml', import.meta.url), 'utf8'), 'default.yaml');
  const params = contextParamsFromRuleset(ruleset);
  const platforms = ['hubspot', 'zapier', 'slack', 'pipedrive', 'web', 'mobile'];
  const currencies = ['USD', 'EUR'];
  const at = fc.integer({ min: 0, max: 200 }).map((n) => h(n));
  const user = fc.constantFrom('u1', 'u2');
  const platform = fc.constantFrom(...platforms);

  const randomAccount: fc.Arbitrary<AccountInput> = fc
    .record({
      payments: fc.array(fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 14n }), fc.constantFrom(...currencies), at), { minLength: 1, maxLength: 6 }),
      // A refund is [share of what is left of a payment in per mille, payment index or null, time].
      refunds: fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.option(fc.nat(), { nil: null }), at, fc.constantFrom(...currencies)), { maxLength: 4 }),
      events: fc.array(fc.tuple(user, platform, fc.constantFrom('connected' as const, 'disconnected' as const), at), { maxLength: 10 }),
      calls: fc.array(fc.tuple(user, platform, at, fc.integer({ min: 0, max: 5000 })), { maxLength: 10 }),
      sms: fc.array(fc.tuple(user, platform, at, fc.integer({ min: 0, max: 20 })), { maxLength: 6 }),
    })
    .map((r) => {
      const payments = r.payments.map(([amountUnits, currency, t], i) => pay(`p${i}`, t, amountUnits, currency));
      // Refunds that name a payment never take more than what is left of it, as real refunds do;
      // the others take a share of the account's billing in a currency of their own choosing.
      const left = new Map(payments.map((p) => [p.id, p.amountUnits]));
      const refunds: RefundRow[] = [];
      r.refunds.forEach(([perMille, index, t, currency], i) => {
        const target = index === null ? undefined : payments[index % payments.length];
        if (target !== undefined) {
          const amount = ((left.get(target.id) ?? 0n) * BigInt(perMille)) / 1000n;
          if (amount === 0n) return;
          left.set(target.id, (left.get(target.id) ?? 0n) - amount);
          refunds.push(refund(`r${i}`, Math.max(t, target.at), amount, target.id, target.currency));
        } else {
          refunds.push(refund(`r${i}`, t, BigInt(perMille) * 10n ** 9n, null, currency));
        }
      });
      return account({
        payments,
        refunds,
        integrationEvents: r.events.map(([userId, p, action, t], i) => ({ id: `e${i}`, userId, platform: p, action, at: t })),
        calls: r.calls.map(([userId, p, t, s]) => ({ userId, platform: p, at: t, durationSeconds: dec(s) })),
        sms: r.sms.map(([userId, p, t, segments]) => ({ userId, platform: p, at: t, segments })),
      });
    });

  /** A weight as a bigint over 10^scale, computed here rather than by the code under test. */
  const scaled = (w: ChannelWeight, scale: number): bigint => BigInt(w.weight.toFixed(scale).replace('.', ''));

  test('for every book and currency with positive net, lines per channel are within n units of net × share', () => {
    fc.assert(
      fc.property(randomAccount, (input) => {
        const ctx = buildAccountContext(input, { asOf: AS_OF, params });
        for (const book of Object.keys(ruleset.books) as BookName[]) {
          const weighing = weighTransaction(ruleset, book, ctx, paymentTx(input.payments[0] ?? pay('none', 0, 1n)));
          assert.equal(weighing.kind, 'weights');
          const w = weighing.kind === 'weights' ? weighing.weights : [];
          const decisions = decideAccountBook({
            ctx,
            book,
            weigh: (tx) => weighTransaction(ruleset, book, ctx, tx),
            payments: input.payments.map(paymentTx),
            refunds: input.refunds.map(refundTx),
            priorAttributedPayments: new Map(),
            priorAttributedCurrencies: new Set(),
          });
          assert.equal(decisions.length, input.payments.length + input.refunds.length);
          const scale = Math.max(...w.map((x) => x.weight.decimalPlaces()));
          const total = w.reduce((s, x) => s + scaled(x, scale), 0n);

          for (const currency of currencies) {
            const mine = decisions.filter((d) => d.currency === currency);
            const billing = mine.reduce((s, d) => s + d.amountUnits, 0n);
            const net = ctx.netUnitsByCurrency.get(currency) ?? 0n;
            assert.equal(billing, net, 'the decisions cover the whole billing');
            for (const d of mine) {
              if (d.status === 'attributed') assert.equal(d.lines.reduce((s, l) => s + l.amountUnits, 0n), d.amountUnits);
              else assert.deepEqual(d.lines, []);
            }
            if (net <= 0n) {
              assert.ok(mine.every((d) => d.status === 'excluded'), `${book} ${currency}: net ${net} yet something was attributed`);
              continue;
            }
            assert.ok(mine.every((d) => d.status === 'attributed'), `${book} ${currency}: net ${net} yet something was excluded`);
            const n = BigInt(mine.length);
            for (const channelWeight of w) {
              const sum = mine.flatMap((d) => d.lines).filter((l) => l.channel === channelWeight.channel).reduce((s, l) => s + l.amountUnits, 0n);
              // |sum − net × w / W| < n  ⇔  |sum × W − net × w| < n × W
              const diff = sum * total - net * scaled(channelWeight, scale);
              assert.ok((diff < 0n ? -diff : diff) < n * total, `${book} ${currency} ${channelWeight.channel}: ${sum} vs net ${net}`);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
