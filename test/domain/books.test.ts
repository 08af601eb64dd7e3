import assert from 'node:assert/strict';
import { Decimal } from 'decimal.js';
import { allocateExact } from '../../domain/allocation';
import { BOOK_NAMES, bookWeights, weighTransaction, type BookName, type BookParams } from '../../domain/books';
import { NO_INTEGRATION_CHANNEL, NO_USAGE_CHANNEL } from '../../domain/channels';
import { buildAccountContext, type AccountContext } from '../../domain/context';
import { parseRuleset, type Ruleset } from '../../domain/ruleset';
import { account, CSV_TX, DEFAULT_PARAMS, describe, h, plainWeights, test } from './helpers';

const RULESET = parseRuleset('version: v', 'test');

/** A book's weights for a CSV-shape transaction of the account. */
const weightsOf = <B extends BookName>(book: B, c: AccountContext, params: BookParams<B>) => bookWeights(book, c, CSV_TX, params, RULESET);

/** The weights of a book configured in the ruleset. */
function rulesetWeights(ruleset: Ruleset, book: BookName, c: AccountContext) {
  const weighing = weighTransaction(ruleset, book, c, CSV_TX);
  assert.equal(weighing.kind, 'weights');
  return weighing.kind === 'weights' ? weighing.weights : [];
}

const POSITION = { single: '1', two_first: '0.6', two_last: '0.4', first: '0.4', last: '0.4', middle: '0.2' };

/** A context written by hand: only the touch path and the usage matter to the books. */
function ctx(path: string[], usage: Record<string, string> = {}): AccountContext {
  return {
    accountId: 'acc-1',
    asOf: h(1000),
    firstPaymentAt: h(0),
    firstRefundAt: null,
    activeEnd: h(1000),
    netUnitsByCurrency: new Map([['USD', 1_000_000n]]),
    connectionWindowsByPlatform: new Map(),
    usageUnitsByPlatform: new Map(Object.entries(usage).map(([p, u]) => [p, new Decimal(u)])),
    touchPath: path.map((platform, i) => ({ at: h(i + 1), platform, userId: 'u1' })),
    orphanDisconnects: 0,
    redundantConnects: 0,
  };
}

test('the registry knows the eleven books', () => {
  assert.deepEqual(BOOK_NAMES, ['first_touch', 'last_touch', 'linear', 'markov', 'position_based', 'pro_rata', 'rules', 'shapley', 'time_decay', 'usage_share', 'weighted']);
});

describe('position_based', () => {
  test('one channel gets everything', () => {
    assert.deepEqual(plainWeights(weightsOf('position_based', ctx(['hubspot', 'hubspot']), POSITION)), [['hubspot', '1']]);
  });

  test('two channels: first 0.6, last 0.4', () => {
    const w = weightsOf('position_based', ctx(['zapier', 'hubspot', 'zapier']), POSITION);
    assert.deepEqual(plainWeights(w), [['zapier', '0.6'], ['hubspot', '0.4']]);
    assert.deepEqual(allocateExact(1_000_000n, w), [{ channel: 'hubspot', amountUnits: 400_000n }, { channel: 'zapier', amountUnits: 600_000n }]);
  });

  test('more than two channels, with a repeated one: first 0.4, last 0.4, the middle ones share 0.2', () => {
    // Distinct in order of first appearance: hubspot, zapier, slack, pipedrive (n = 4). Weights are
    // scaled by n − 2 = 2 so the middle share stays exact: 0.8, 0.2, 0.2, 0.8 (shares .4 .1 .1 .4).
    const w = weightsOf('position_based', ctx(['hubspot', 'zapier', 'hubspot', 'slack', 'pipedrive']), POSITION);
    assert.deepEqual(plainWeights(w), [['hubspot', '0.8'], ['zapier', '0.2'], ['slack', '0.2'], ['pipedrive', '0.8']]);
    assert.deepEqual(allocateExact(1_000_000n, w), [
      { channel: 'hubspot', amountUnits: 400_000n },
      { channel: 'pipedrive', amountUnits: 400_000n },
      { channel: 'slack', amountUnits: 100_000n },
      { channel: 'zapier', amountUnits: 100_000n },
    ]);
  });

  test('three middle channels share 0.2 in thirds, exactly', () => {
    // 100 units: hubspot 40, salesforce 40, each middle 6.67 → 6, and the 2 leftover units go to
    // the equal fractions by name: pipedrive and slack.
    const w = weightsOf('position_based', ctx(['hubspot', 'zapier', 'slack', 'pipedrive', 'salesforce']), POSITION);
    assert.deepEqual(plainWeights(w), [['hubspot', '1.2'], ['zapier', '0.2'], ['slack', '0.2'], ['pipedrive', '0.2'], ['salesforce', '1.2']]);
    assert.deepEqual(allocateExact(100n, w), [
      { channel: 'hubspot', amountUnits: 40n },
      { channel: 'pipedrive', amountUnits: 7n },
      { channel: 'salesforce', amountUnits: 40n },
      { channel: 'slack', amountUnits: 7n },
      { channel: 'zapier', amountUnits: 6n },
    ]);
  });

  test('parameters come from the ruleset', () => {
    const ruleset = parseRuleset('version: v\nbooks:\n  position_based: {two_first: 0.5, two_last: 0.5, first: 0.3, last: 0.5, middle: 0.2}\n', 'r.yaml');
    assert.deepEqual(plainWeights(rulesetWeights(ruleset, 'position_based', ctx(['a', 'b']))), [['a', '0.5'], ['b', '0.5']]);
    assert.deepEqual(plainWeights(rulesetWeights(ruleset, 'position_based', ctx(['a', 'b', 'c']))), [['a', '0.3'], ['b', '0.2'], ['c', '0.5']]);
  });

  test('an empty path goes to (no integration)', () => {
    assert.deepEqual(plainWeights(weightsOf('position_based', ctx([]), POSITION)), [[NO_INTEGRATION_CHANNEL, '1']]);
  });
});

describe('first_touch, last_touch, linear', () => {
  const path = ['zapier', 'hubspot', 'slack', 'hubspot'];
  test('first_touch: the first channel of the path', () => {
    assert.deepEqual(plainWeights(weightsOf('first_touch', ctx(path), {})), [['zapier', '1']]);
  });
  test('last_touch: the channel of the last touch', () => {
    assert.deepEqual(plainWeights(weightsOf('last_touch', ctx(path), {})), [['hubspot', '1']]);
  });
  test('linear: each distinct channel gets 1', () => {
    assert.deepEqual(plainWeights(weightsOf('linear', ctx(path), {})), [['zapier', '1'], ['hubspot', '1'], ['slack', '1']]);
  });
  test('an empty path goes to (no integration)', () => {
    for (const book of ['first_touch', 'last_touch', 'linear'] as const) {
      assert.deepEqual(plainWeights(weightsOf(book, ctx([]), {})), [[NO_INTEGRATION_CHANNEL, '1']], book);
    }
  });
});

describe('usage_share', () => {
  test('each platform weighs its usage units', () => {
    const w = weightsOf('usage_share', ctx([], { hubspot: '100', web: '300', zapier: '0' }), {});
    assert.deepEqual(plainWeights(w), [['hubspot', '100'], ['web', '300']]);
    assert.deepEqual(allocateExact(1000n, w), [{ channel: 'hubspot', amountUnits: 250n }, { channel: 'web', amountUnits: 750n }]);
  });
  test('zero usage goes to (no usage)', () => {
    assert.deepEqual(plainWeights(weightsOf('usage_share', ctx(['hubspot'], {}), {})), [[NO_USAGE_CHANNEL, '1']]);
    assert.deepEqual(plainWeights(weightsOf('usage_share', ctx([], { web: '0' }), {})), [[NO_USAGE_CHANNEL, '1']]);
  });
});

describe('both buckets from a built context', () => {
  test('an account that connected nothing and used nothing lands in (no integration) and (no usage)', () => {
    const context = buildAccountContext(
      account({ payments: [{ id: 'p1', amountUnits: 10n, currency: 'USD', at: h(1) }], calls: [{ userId: 'u1', platform: 'slack', at: h(2), durationSeconds: new Decimal(30) }] }),
      { asOf: h(100), params: DEFAULT_PARAMS },
    );
    const ruleset = parseRuleset('version: v\n', 'r.yaml');
    assert.deepEqual(plainWeights(rulesetWeights(ruleset, 'first_touch', context)), [[NO_INTEGRATION_CHANNEL, '1']]);
    assert.deepEqual(plainWeights(rulesetWeights(ruleset, 'position_based', context)), [[NO_INTEGRATION_CHANNEL, '1']]);
    assert.deepEqual(plainWeights(rulesetWeights(ruleset, 'usage_share', context)), [[NO_USAGE_CHANNEL, '1']]);
    assert.throws(() => rulesetWeights(ruleset, 'linear', context), /book linear is not configured in ruleset v/);
  });
});
