import { Decimal } from 'decimal.js';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { noParams } from '../rulesetValues';
import type { BookDefinition } from './types';

/** All credit to the channel of the last touch of the path. */
export const lastTouch: BookDefinition<Record<string, never>> = {
  params: noParams,
  weights: (ctx) => [
    { channel: ctx.touchPath[ctx.touchPath.length - 1]?.platform ?? NO_INTEGRATION_CHANNEL, weight: new Decimal(1) },
  ],
};
