// The event shape (docs/decisions.md, "Events"): every field validated, problems named by JSON path, money exact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseEventLine } from '../../ingest/eventSchema';
import { parseJourneyLine } from '../../ingest/journeySchema';

const base = {
  transactionId: 'tx-1', timestamp: '2024-05-03T12:00:00+02:00', customerId: 'cust-1', grossAmount: 19.99, currency: 'usd',
  products: [{ productId: ' CRM ', quantity: 2, unitPrice: '9.995' }],
  touchpoints: [{ productId: 'Calls', interactionType: 'usage_spike', timestamp: '2024-05-01T00:00:00Z', weight: 0.5 }],
  source: 'invoice',
};
const line = (patch: Record<string, unknown>) => JSON.stringify({ ...base, ...patch });

function problems(text: string): string[] {
  const result = parseEventLine(text);
  assert.equal(result.ok, false, 'expected the event to be refused');
  return result.ok ? [] : result.problems.map((p) => `${p.column}: ${p.value === undefined ? '' : `${JSON.stringify(p.value)} `}${p.reason}`);
}

describe('parseEventLine', () => {
  it('canonicalises a valid event: UTC instant, exact amounts, lower-cased product ids, payment kind', () => {
    const result = parseEventLine(line({}));
    assert.ok(result.ok);
    assert.deepEqual(result.event, {
      transactionId: 'tx-1', kind: 'payment', timestamp: '2024-05-03T10:00:00Z', customerId: 'cust-1', grossAmount: '19.9900',
      currency: 'USD', source: 'invoice', bundleId: null, refundOf: null,
      products: [{ productId: 'crm', quantity: '2', unitPrice: '9.995', metadata: null }],
      touchpoints: [{ productId: 'calls', interactionType: 'usage_spike', timestamp: '2024-05-01T00:00:00Z', weight: '0.5' }],
    });
  });

  it('a refund with refundOf is a refund; touchpoints default to none', () => {
    const { touchpoints: _, ...rest } = base;
    const result = parseEventLine(JSON.stringify({ ...rest, source: 'refund', refundOf: 'tx-0' }));
    assert.ok(result.ok);
    assert.equal(result.event.kind, 'refund');
    assert.equal(result.event.refundOf, 'tx-0');
    assert.deepEqual(result.event.touchpoints, []);
  });

  it('names every problem by its JSON path, with the value and the reason', () => {
    assert.deepEqual(
      problems(line({ grossAmount: -5, products: [{ productId: 'crm', quantity: 1, unitPrice: -2 }], source: 'gift' })),
      [
        'grossAmount: "-5" is not a positive decimal number like 12.5 or 12.5000',
        'products[0].unitPrice: "-2" must be a decimal number >= 0 like 12.5',
        'source: "gift" must be one of invoice, usage_meter, marketplace, refund',
      ],
    );
    assert.deepEqual(problems(line({ grossAmount: '1.23456' })), ['grossAmount: "1.23456" has 5 decimal places; at most 4 are allowed']);
    assert.deepEqual(problems(line({ grossAmount: 0 })), ['grossAmount: "0" must be greater than 0']);
    assert.deepEqual(problems(line({ timestamp: '2024-05-03 12:00' })), ['timestamp: "2024-05-03 12:00" has no UTC offset; write it with one, like 2024-01-05T10:00:00Z']);
    assert.deepEqual(problems(line({ currency: 'dollars' })), ['currency: "dollars" is not a 3-letter ISO 4217 currency code like USD']);
    assert.deepEqual(
      problems(line({ touchpoints: [{ productId: 'x', interactionType: 'hover', timestamp: '2024-05-01T00:00:00Z', weight: 1.5 }] })),
      ['touchpoints[0].interactionType: "hover" must be one of view, click, usage_spike, support, trial', 'touchpoints[0].weight: "1.5" must be at most 1'],
    );
  });

  it('refuses unknown keys (a misspelt refundOf must not pass silently) and a missing field', () => {
    const { customerId: _, ...rest } = base;
    assert.deepEqual(problems(JSON.stringify({ ...rest, source: 'refund', refund_of: 'tx-0' })), [
      'customerId: is required',
      'refund_of: is not a field of an event (misspelt?)',
    ]);
  });

  it('refundOf only on refunds, and never the refund itself', () => {
    assert.deepEqual(problems(line({ refundOf: 'tx-0' })), ['refundOf: "tx-0" is only allowed on refunds (source "refund"), this event\'s source is "invoice"']);
    assert.deepEqual(problems(line({ source: 'refund', refundOf: 'tx-1' })), ['refundOf: "tx-1" names the refund itself']);
  });

  it('never lets money pass through a float it cannot represent exactly', () => {
    assert.deepEqual(problems(line({ grossAmount: 1234567890.1234567 })), ['grossAmount: "1234567890.1234567" has more than 15 significant digits; send it as a decimal string']);
    const asString = parseEventLine(line({ grossAmount: '12345678901234.5678' }));
    assert.ok(asString.ok);
    assert.equal(asString.event.grossAmount, '12345678901234.5678');
  });

  it('reports lines that are not JSON objects', () => {
    assert.match(problems('{"transactionId": ')[0]!, /^\(line\): is not valid JSON/);
    assert.deepEqual(problems('[1,2]'), ['(line): must be one JSON object per line']);
  });
});

describe('the journey stream shares the line checks of events', () => {
  const journey = (customerId: string) => `{"customerId":"${customerId}","touchpoints":[{"productId":"calls","interactionType":"view","timestamp":"2024-05-01T00:00:00Z"}]}`;

  it('refuses an unpaired surrogate escape, which would be stored as U+FFFD', () => {
    const result = parseJourneyLine(journey('c\\ud800'));
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.problems.map((p) => `${p.column}: ${p.reason}`),
      ['(line): holds an unpaired UTF-16 surrogate escape (like \\ud800); send whole characters']);
  });

  it('refuses lines that are not JSON objects, and accepts a whole pair', () => {
    const notObject = parseJourneyLine('[1]');
    assert.deepEqual(!notObject.ok && notObject.problems.map((p) => p.reason), ['must be one JSON object per line']);
    const pair = parseJourneyLine(journey('c\\ud83d\\ude00'));
    assert.ok(pair.ok && pair.journey.customerId === 'c😀', JSON.stringify(pair));
  });
});
