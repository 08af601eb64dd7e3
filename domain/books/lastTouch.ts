import { Decimal } from 'decimal.js';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { noParams } from '../rulesetValues';
import { touchPathOf } from '../transaction';
import type { BookDefinition } from './types';

/** All credit to the channel of the last touch of the path. */
export const lastTouch: BookDefinition<Record<string, never>> = {
  params: noParams,
  weights: ({ ctx, tx }) => [{ channel: touchPathOf(ctx.touchPath, tx).at(-1)?.channel ?? NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }],
};
