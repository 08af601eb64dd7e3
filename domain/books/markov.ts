import { z } from 'zod';
import type { Decimal } from 'decimal.js';
import { InvariantError } from '../errors';
import { MAX_MARKOV_ORDER } from '../markov';
import { strictMapping, unwrapYamlNumber } from '../rulesetValues';
import { linearOver } from './linearOver';
import { bookPath, distinctChannels, lookbackDaysParam } from './path';
import { sharedWeightsOf } from './sharedWeights';
import type { BookDefinition, Weights } from './types';

// Markov removal effects (docs/data-driven-books.md): a transaction's channels weigh their
// removal effects in the chain learned from the run's journeys (domain/markov.ts); when all of
// them are zero (or the path has a channel the chain never saw, and only such), the transaction
// is split linearly over its channels instead. An empty path goes to `(no integration)`.

export const markovParams = strictMapping({
  order: z.preprocess(unwrapYamlNumber, z.number({ error: 'must be a whole number from 1 to 4' })
    .int({ error: 'must be a whole number from 1 to 4' }).min(1, { error: 'must be a whole number from 1 to 4' })
    .max(MAX_MARKOV_ORDER, { error: 'must be a whole number from 1 to 4' })).default(1),
  lookback_days: lookbackDaysParam,
});
export type MarkovParams = z.output<typeof markovParams>;

export const markov: BookDefinition<MarkovParams> = {
  params: markovParams,
  weights: ({ ctx, tx, params, learned }) => {
    const effects = learned?.removalEffects;
    if (effects === undefined) throw new InvariantError(`markov: transaction ${tx.transactionId} was weighed before the run's removal effects were learned`);
    return channelWeights(effects, distinctChannels(bookPath(ctx, tx, params.lookback_days)));
  },
};

// Many transactions have the same channels: their weights are built once per run's effects.
const shared = sharedWeightsOf<ReadonlyMap<string, Decimal>>();

function channelWeights(effects: ReadonlyMap<string, Decimal>, channels: ReadonlyArray<string>): Weights {
  return shared(effects, channels, () => {
    const effective = channels.flatMap((channel) => {
      const effect = effects.get(channel);
      return effect === undefined || effect.isZero() ? [] : [{ channel, weight: effect }];
    });
    return effective.length > 0 ? effective : linearOver(channels);
  });
}
