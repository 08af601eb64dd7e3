import { Decimal } from 'decimal.js';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { bookPath, distinctChannels, pathBookParams, type PathBookParams } from './path';
import type { BookDefinition } from './types';

/** Equal credit to each distinct channel of the path, however often it was touched. */
export const linear: BookDefinition<PathBookParams> = {
  params: pathBookParams,
  weights: ({ ctx, tx, params }) => {
    const channels = distinctChannels(bookPath(ctx, tx, params.lookback_days));
    if (channels.length === 0) return [{ channel: NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }];
    return channels.map((channel) => ({ channel, weight: new Decimal(1) }));
  },
};
