import { Decimal } from 'decimal.js';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { bookPath, pathBookParams, type PathBookParams } from './path';
import type { BookDefinition } from './types';

/** All credit to the channel of the last touch of the path. */
export const lastTouch: BookDefinition<PathBookParams> = {
  params: pathBookParams,
  weights: ({ ctx, tx, params }) => [{ channel: bookPath(ctx, tx, params.lookback_days).at(-1)?.channel ?? NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }],
};
