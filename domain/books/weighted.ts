import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { InvalidInputError } from '../errors';
import { ExactDecimal, toPlainDecimal } from '../exactDecimal';
import { decimalParam, strictMapping } from '../rulesetValues';
import { INTERACTION_TYPES } from '../transaction';
import { bookPath, lookbackDaysParam } from './path';
import type { BookDefinition, Weights } from './types';

// Weighted touchpoints (docs/decisions.md, "Books and allocation", the seed's "Weighted Multi-Touch"): each touch of the path
// weighs its own `weight` when the event gives one, else the ruleset's weight for its interaction
// type, else 1 (a connection of the CSV shape has no type); weights are summed per channel.
// Decision where the spec is silent: when every touch weighs 0 (explicit zero weights), each
// touch counts 1 instead, so the transaction is still split over the channels it touched.

const typeWeight = decimalParam({ min: '0' }).default('1');

export const weightedParams = strictMapping({
  weights: strictMapping(Object.fromEntries(INTERACTION_TYPES.map((t) => [t, typeWeight])) as Record<(typeof INTERACTION_TYPES)[number], typeof typeWeight>, 'interaction type')
    .prefault({})
    .superRefine((weights, ctx) => {
      if (Object.values(weights).every((w) => new ExactDecimal(w).isZero())) {
        ctx.addIssue({ code: 'custom', message: 'are all zero; at least one interaction type must weigh more than 0' });
      }
    }),
  // The seed's only normalisation: shares are weight / sum of weights.
  lookback_days: lookbackDaysParam,
  normalization: z.literal('sum_weights', { error: 'must be sum_weights (the only normalisation: each channel gets its weight / the sum of weights)' }).default('sum_weights'),
});

export type WeightedParams = z.output<typeof weightedParams>;

export const weighted: BookDefinition<WeightedParams> = {
  params: weightedParams,
  weights: ({ ctx, tx, params }) => {
    const path = bookPath(ctx, tx, params.lookback_days);
    if (path.length === 0) return [{ channel: NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }];
    const weightOf = (t: (typeof path)[number]): Decimal => {
      if (t.weight !== null) {
        if (t.weight.lt(0)) throw new InvalidInputError(`transaction ${tx.transactionId}: touchpoint weight ${t.weight.toFixed()} is negative`);
        return t.weight;
      }
      return new ExactDecimal(t.interactionType === null ? '1' : params.weights[t.interactionType]);
    };
    const perTouch = path.map((t) => ({ channel: t.channel, weight: weightOf(t) }));
    const allZero = perTouch.every((t) => t.weight.isZero());
    return sumPerChannel(perTouch.map((t) => (allZero ? { channel: t.channel, weight: new ExactDecimal(1) } : t)));
  },
};

function sumPerChannel(touches: ReadonlyArray<{ channel: string; weight: Decimal }>): Weights {
  const sums = new Map<string, Decimal>();
  for (const t of touches) sums.set(t.channel, (sums.get(t.channel) ?? new ExactDecimal(0)).plus(t.weight));
  return [...sums].filter(([, w]) => !w.isZero()).map(([channel, w]) => ({ channel, weight: toPlainDecimal(w) }));
}
