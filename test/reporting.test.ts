import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributionFileName, renderAttributionCsv, sharePct } from '../reporting/attributionCsv';

describe('attribution CSV', () => {
  it('orders by currency, revenue (largest first), channel; revenue has 4 decimals; shares are of the currency total', () => {
    const csv = renderAttributionCsv([
      { channel: 'zapier', currency: 'USD', revenueUnits: 1_000_000n, accounts: 1, transactions: 2 },
      { channel: 'hubspot', currency: 'USD', revenueUnits: 2_000_000n, accounts: 2, transactions: 3 },
      { channel: 'slack', currency: 'EUR', revenueUnits: 5n, accounts: 1, transactions: 1 },
      { channel: 'apollo', currency: 'USD', revenueUnits: 1_000_000n, accounts: 1, transactions: 1 },
      { channel: 'odd,name', currency: 'USD', revenueUnits: -1n, accounts: 0, transactions: 1 },
    ]);
    assert.equal(csv, [
      'channel,currency,revenue,share_pct,accounts,transactions',
      'slack,EUR,0.0005,100.00,1,1',
      'hubspot,USD,200.0000,50.00,2,3',
      'apollo,USD,100.0000,25.00,1,1',
      'zapier,USD,100.0000,25.00,1,2',
      '"odd,name",USD,-0.0001,0.00,0,1', // a share that rounds to zero is 0.00, never -0.00
      '',
    ].join('\n'));
  });

  it('share_pct rounds half up to 2 decimals; an empty total gives 0.00', () => {
    assert.equal(sharePct(1n, 3n), '33.33');
    assert.equal(sharePct(2n, 3n), '66.67');
    assert.equal(sharePct(1n, 8n), '12.50');
    assert.equal(sharePct(1n, 16n), '6.25');
    assert.equal(sharePct(1n, 0n), '0.00');
  });

  it('names the files as the KrispCall analysis did', () => {
    assert.equal(attributionFileName('first_touch'), 'first_touch_attribution.csv');
    assert.equal(attributionFileName('usage_share'), 'usage_based_attribution.csv');
    assert.equal(attributionFileName('position_based'), 'position_based_attribution.csv');
  });
});

describe('summary method text', () => {
  it('prints ruleset shares as exact percentages', async () => {
    const { renderSummary } = await import('../reporting/summary');
    const { parseRuleset } = await import('../domain/ruleset');
    const ruleset = parseRuleset('version: "t"\nbooks:\n  position_based: { two_first: 0.7, two_last: 0.3 }\n', 't.yaml');
    const text = renderSummary({
      runId: null, modelVersion: 't#1', basis: 'monthly', ruleset, periodFrom: null, periodTo: '2024-07-01T00:00:00.000Z', asOf: null,
      books: ['position_based'], chosen: 'position_based', revenue: new Map(), attributedAccounts: [], decisions: [], reconciliation: [],
    });
    assert.match(text, /2 → first 70 %, last 30 %; more → first 40 %, last 40 %, the middle ones share 20 %/);
  });
});
