import { z } from 'zod';
import { InvariantError } from '../errors';
import { weightDecimal } from '../markov';
import { strictMapping, unwrapYamlNumber } from '../rulesetValues';
import { coalitionOfPath, DEFAULT_MAX_CHANNELS, MAX_MAX_CHANNELS, shapleyValues, type CharacteristicFunction } from '../shapley';
import { linearOver } from './linearOver';
import { bookPath, lookbackDaysParam } from './path';
import { sharedWeightsOf } from './sharedWeights';
import type { BookDefinition, Weights } from './types';

// Shapley values (docs/data-driven-books.md): a transaction's coalition (the distinct channels of
// its path, the first `max_channels` of them) is shared among its channels by their Shapley values
// over the coalitions the run's journeys formed (domain/shapley.ts). Negative values count as 0;
// when all are 0 the transaction is split linearly over the coalition.

const maxChannelsMessage = `must be a whole number from 1 to ${MAX_MAX_CHANNELS}`;

export const shapleyParams = strictMapping({
  max_channels: z.preprocess(unwrapYamlNumber, z.number({ error: maxChannelsMessage }).int({ error: maxChannelsMessage })
    .min(1, { error: maxChannelsMessage }).max(MAX_MAX_CHANNELS, { error: maxChannelsMessage })).default(DEFAULT_MAX_CHANNELS),
  lookback_days: lookbackDaysParam,
});
export type ShapleyParams = z.output<typeof shapleyParams>;

// Many transactions share a coalition: its weights are computed once per characteristic function.
const shared = sharedWeightsOf<CharacteristicFunction>();

export const shapley: BookDefinition<ShapleyParams> = {
  params: shapleyParams,
  weights: ({ ctx, tx, params, learned }) => {
    const v = learned?.coalitionValues;
    if (v === undefined) throw new InvariantError(`shapley: transaction ${tx.transactionId} was weighed before the run's coalition values were learned`);
    const coalition = coalitionOfPath(bookPath(ctx, tx, params.lookback_days).map((t) => t.channel), params.max_channels);
    return coalitionWeights(v, coalition);
  },
};

export function coalitionWeights(v: CharacteristicFunction, coalition: ReadonlyArray<string>): Weights {
  return shared(v, coalition, () => {
    const phi = shapleyValues(v, coalition);
    // In the coalition's order of first appearance, as the other path books list their channels.
    const weights = coalition.flatMap((channel) => {
      const value = phi.get(channel)!;
      return value.isNegative() || value.isZero() ? [] : [{ channel, weight: weightDecimal(value) }];
    }).filter((w) => !w.weight.isZero());
    return weights.length > 0 ? weights : linearOver(coalition);
  });
}
