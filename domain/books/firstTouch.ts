import { Decimal } from 'decimal.js';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { bookPath, pathBookParams, type PathBookParams } from './path';
import type { BookDefinition } from './types';

/** All credit to the first channel of the touch path (the first integration connected after paying). */
export const firstTouch: BookDefinition<PathBookParams> = {
  params: pathBookParams,
  weights: ({ ctx, tx, params }) => [{ channel: bookPath(ctx, tx, params.lookback_days)[0]?.channel ?? NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }],
};
