import { Decimal } from 'decimal.js';
import type { z } from 'zod';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { ExactDecimal } from '../exactDecimal';
import { decimalParam, strictMapping } from '../rulesetValues';
import { bookPath, distinctChannels, lookbackDaysParam } from './path';
import type { BookDefinition, Weights } from './types';

// Position-based (U-shaped) attribution of the KrispCall analysis: the first and the last distinct
// channel get most of the credit, the ones in between share the rest equally.

const share = (fallback: string) => decimalParam({ min: '0', max: '1' }).default(fallback);

export const positionBasedParams = strictMapping({
  single: share('1'),
  two_first: share('0.6'),
  two_last: share('0.4'),
  first: share('0.4'),
  last: share('0.4'),
  middle: share('0.2'),
  lookback_days: lookbackDaysParam,
}).superRefine((p, ctx) => {
  // The sums are checked exactly: a float sum would reject 0.7 + 0.2 + 0.1.
  if (!new ExactDecimal(p.single).eq(1)) {
    ctx.addIssue({ code: 'custom', path: ['single'], message: `must be 1: one channel gets everything (got ${p.single})` });
  }
  const two = new ExactDecimal(p.two_first).plus(p.two_last);
  if (!two.eq(1)) {
    ctx.addIssue({ code: 'custom', message: `two_first + two_last must be 1 for two channels (got ${two.toFixed()})` });
  }
  const many = new ExactDecimal(p.first).plus(p.last).plus(p.middle);
  if (!many.eq(1)) {
    ctx.addIssue({
      code: 'custom',
      message: `first + last + middle must be 1 for more than two channels (got ${many.toFixed()})`,
    });
  }
});

export type PositionBasedParams = z.output<typeof positionBasedParams>;

export const positionBased: BookDefinition<PositionBasedParams> = {
  params: positionBasedParams,
  weights: ({ ctx, tx, params }) => positionWeights(distinctChannels(bookPath(ctx, tx, params.lookback_days)), params),
};

function positionWeights(channels: ReadonlyArray<string>, p: PositionBasedParams): Weights {
  const n = channels.length;
  const [first] = channels;
  const last = channels[n - 1];
  if (first === undefined || last === undefined) return [{ channel: NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }];
  if (n === 1) return [{ channel: first, weight: new Decimal(p.single) }];
  if (n === 2) {
    return [
      { channel: first, weight: new Decimal(p.two_first) },
      { channel: last, weight: new Decimal(p.two_last) },
    ];
  }
  // With n > 2 each middle channel's share is middle / (n − 2), which has no finite decimal form
  // for most n (0.2 / 3). Rather than round it, every weight is multiplied by n − 2: first and last
  // get first × (n − 2) and last × (n − 2), each middle channel gets `middle`. The ratios, which is
  // all the allocation uses, are exactly those of the spec; the weights sum to n − 2 instead of 1.
  const middleCount = new Decimal(n - 2);
  return [
    { channel: first, weight: new Decimal(p.first).times(middleCount) },
    ...channels.slice(1, -1).map((channel) => ({ channel, weight: new Decimal(p.middle) })),
    { channel: last, weight: new Decimal(p.last).times(middleCount) },
  ];
}
