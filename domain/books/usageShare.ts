import { Decimal } from 'decimal.js';
import { NO_USAGE_CHANNEL } from '../channels';
import { noParams } from '../rulesetValues';
import type { BookDefinition } from './types';

/** Credit in proportion to each platform's counted usage units; no usage at all → `(no usage)`. */
export const usageShare: BookDefinition<Record<string, never>> = {
  params: noParams,
  weights: ({ ctx }) => {
    const weights = [...ctx.usageUnitsByPlatform]
      .filter(([, units]) => units.gt(0))
      .map(([channel, units]) => ({ channel, weight: units }));
    return weights.length > 0 ? weights : [{ channel: NO_USAGE_CHANNEL, weight: new Decimal(1) }];
  },
};
