import { Decimal } from 'decimal.js';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { noParams } from '../rulesetValues';
import { touchPathOf } from '../transaction';
import { distinctChannels } from './path';
import type { BookDefinition } from './types';

/** Equal credit to each distinct channel of the path, however often it was touched. */
export const linear: BookDefinition<Record<string, never>> = {
  params: noParams,
  weights: ({ ctx, tx }) => {
    const channels = distinctChannels(touchPathOf(ctx.touchPath, tx));
    if (channels.length === 0) return [{ channel: NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }];
    return channels.map((channel) => ({ channel, weight: new Decimal(1) }));
  },
};
