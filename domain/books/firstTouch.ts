import { Decimal } from 'decimal.js';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { noParams } from '../rulesetValues';
import { touchPathOf } from '../transaction';
import type { BookDefinition } from './types';

/** All credit to the first channel of the touch path (the first integration connected after paying). */
export const firstTouch: BookDefinition<Record<string, never>> = {
  params: noParams,
  weights: ({ ctx, tx }) => [{ channel: touchPathOf(ctx.touchPath, tx)[0]?.channel ?? NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }],
};
