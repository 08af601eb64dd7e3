import { reusedWeights } from '../allocation';
import type { Weights } from './types';

/**
 * The weights of a learned model's book, kept per model and per list of channels (as JSON): many
 * transactions have the same path or coalition, so its weights are built once and scaled to
 * integers for the allocation once (domain/allocation.ts, `reusedWeights`). The Markov and
 * Shapley books each keep one; a model no longer referenced drops its weights with it.
 */
export function sharedWeightsOf<Model extends object>(): (model: Model, channels: ReadonlyArray<string>, build: () => Weights) => Weights {
  const byModel = new WeakMap<Model, Map<string, Weights>>();
  return (model, channels, build) => {
    let byChannels = byModel.get(model);
    if (byChannels === undefined) byModel.set(model, (byChannels = new Map()));
    const key = JSON.stringify(channels);
    let weights = byChannels.get(key);
    if (weights === undefined) byChannels.set(key, (weights = reusedWeights(build())));
    return weights;
  };
}
