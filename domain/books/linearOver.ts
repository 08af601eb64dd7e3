import { Decimal } from 'decimal.js';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import type { Weights } from './types';

/** Equal weights over the channels; none → `(no integration)`. The fallback of the data-driven books. */
export function linearOver(channels: ReadonlyArray<string>): Weights {
  if (channels.length === 0) return [{ channel: NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }];
  return channels.map((channel) => ({ channel, weight: new Decimal(1) }));
}
