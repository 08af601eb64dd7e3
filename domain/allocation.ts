import type { Decimal } from 'decimal.js';
import { InvalidInputError, InvariantError } from './errors';
import { compareStrings } from './order';

// Exact allocation (docs/decisions.md, "Books and allocation"). Weights are turned into integers over a common power of ten, so
// every share A × w_i / W is a ratio of bigints and the split is computed without any rounding
// except the one truncation the spec asks for. decimal.js alone would not do: its default 20
// significant digits are fewer than an 18-digit amount times a long-fraction weight needs.

export interface ChannelWeight {
  channel: string;
  weight: Decimal;
}

export interface AllocationLine {
  channel: string;
  amountUnits: bigint;
}

/**
 * Splits `amountUnits` over the channels in proportion to their weights. Each share is truncated
 * toward zero; the leftover units go one each to the channels with the largest truncated-away
 * fractions, ties broken by channel name ascending. Negative amounts (refunds) are split as the
 * mirror image of the positive amount, so a refund of a whole payment reverses it line by line.
 * Zero lines are omitted; the result is sorted by channel name and sums to exactly the amount.
 */
export function allocateExact(amountUnits: bigint, weights: ReadonlyArray<ChannelWeight>): AllocationLine[] {
  const { integerWeights, total } = scaledWeights(weights);

  const negative = amountUnits < 0n;
  const magnitude = negative ? -amountUnits : amountUnits;

  const shares = integerWeights.map(({ channel, weight }) => {
    const product = magnitude * weight;
    return { channel, units: product / total, remainder: product % total };
  });
  let leftover = magnitude - shares.reduce((sum, s) => sum + s.units, 0n);

  // The leftover is smaller than the number of channels with a non-zero remainder, so it is
  // handed out in one pass over the channels ordered by remainder (largest first), then name.
  const byRemainder = [...shares].sort(
    (a, b) => (a.remainder > b.remainder ? -1 : a.remainder < b.remainder ? 1 : compareStrings(a.channel, b.channel)),
  );
  for (const share of byRemainder) {
    if (leftover === 0n) break;
    share.units += 1n;
    leftover -= 1n;
  }
  if (leftover !== 0n) {
    throw new InvariantError(`allocation invariant broken: ${leftover} units left over after the remainder pass`);
  }

  const lines = shares
    .filter((s) => s.units !== 0n)
    .map((s) => ({ channel: s.channel, amountUnits: negative ? -s.units : s.units }))
    .sort((a, b) => compareStrings(a.channel, b.channel));

  const sum = lines.reduce((acc, l) => acc + l.amountUnits, 0n);
  if (sum !== amountUnits) {
    throw new InvariantError(`allocation invariant broken: lines sum to ${sum}, expected ${amountUnits}`);
  }
  return lines;
}

interface ScaledWeights {
  integerWeights: ReadonlyArray<{ channel: string; weight: bigint }>;
  total: bigint;
}

// Weights that carry their integer form: a weights object that a book hands out for many
// transactions (a Shapley coalition's, a Markov path's), validated and scaled once; and weights a
// book computed as integers in the first place (time decay's powers of two). Only the ratios
// matter, so any common multiple of the weights allocates the same lines as the decimals. The
// integer form is a hidden property: tests comparing weights see only channels and decimals.
const SCALED = Symbol('the weights as integers');
type Scalable = ReadonlyArray<ChannelWeight> & { [SCALED]?: ScaledWeights };

/** Marks `weights` as shared by many allocations: validated and scaled now, once. It must not change afterwards. */
export function reusedWeights<W extends ReadonlyArray<ChannelWeight>>(weights: W): W {
  if ((weights as Scalable)[SCALED] === undefined) Object.defineProperty(weights, SCALED, { value: scaledNow(weights) });
  return weights;
}

/** Weights with their exact integer form: `integer` is the weight times one factor common to all the channels. */
export function weightsFromIntegers(entries: ReadonlyArray<ChannelWeight & { integer: bigint }>): ReadonlyArray<ChannelWeight> {
  const weights: Scalable = entries.map(({ channel, weight }) => ({ channel, weight }));
  const integerWeights = entries.map(({ channel, integer }) => ({ channel, weight: integer }));
  const total = integerWeights.reduce((sum, w) => sum + w.weight, 0n);
  if (total <= 0n || integerWeights.some((w) => w.weight < 0n)) {
    throw new InvalidInputError(`allocation: integer weights must be non-negative and sum to more than 0 (channels: ${describeChannels(weights)})`);
  }
  Object.defineProperty(weights, SCALED, { value: { integerWeights, total } });
  return weights;
}

const scaledWeights = (weights: Scalable): ScaledWeights => weights[SCALED] ?? scaledNow(weights);

function scaledNow(weights: ReadonlyArray<ChannelWeight>): ScaledWeights {
  const integerWeights = toIntegerWeights(weights);
  const total = integerWeights.reduce((sum, w) => sum + w.weight, 0n);
  if (total <= 0n) {
    throw new InvalidInputError(`allocation: the weights must sum to more than 0 (channels: ${describeChannels(weights)})`);
  }
  return { integerWeights, total };
}

/** Validates the weights and scales them to bigints over a common power of ten. */
function toIntegerWeights(weights: ReadonlyArray<ChannelWeight>): Array<{ channel: string; weight: bigint }> {
  const seen = new Set<string>();
  let scale = 0;
  for (const { channel, weight } of weights) {
    if (seen.has(channel)) throw new InvalidInputError(`allocation: channel ${JSON.stringify(channel)} appears twice`);
    seen.add(channel);
    if (!weight.isFinite()) {
      throw new InvalidInputError(`allocation: weight of ${JSON.stringify(channel)} is not a finite number`);
    }
    if (weight.lt(0)) {
      throw new InvalidInputError(`allocation: weight of ${JSON.stringify(channel)} is negative (${weight.toFixed()})`);
    }
    scale = Math.max(scale, weight.decimalPlaces());
  }
  // toFixed(scale) with scale >= the value's own decimal places only pads with zeros: no rounding.
  return weights.map(({ channel, weight }) => ({
    channel,
    weight: BigInt(weight.abs().toFixed(scale).replace('.', '')),
  }));
}

function describeChannels(weights: ReadonlyArray<ChannelWeight>): string {
  return weights.length === 0 ? 'none' : weights.map((w) => w.channel).join(', ');
}
