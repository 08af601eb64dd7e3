import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { weightsFromIntegers } from '../allocation';
import { powerOfTen, powerOfTwoNegative, scaledPowerOfTwoNegative, type ScaledDecimal } from '../powerOfTwo';
import { decimalParam, strictMapping } from '../rulesetValues';
import type { PathTouch } from '../transaction';
import { bookPath, DAY_MS, lookbackDaysParam } from './path';
import type { BookDefinition, Weights } from './types';

// Time decay (docs/data-driven-books.md): each touch weighs 2^(−Δ/half_life), Δ the days between
// the touch and the transaction, summed per channel. A touch after the transaction (the CSV
// shape's path runs over the whole active period) decays by its distance the same way, so no
// touch ever weighs more than 1. The power of the exact exponent is computed in integer arithmetic
// and rounded once to 40 significant digits (domain/powerOfTwo.ts), never by Math.pow: every
// machine gets the same digits.

export const timeDecayParams = strictMapping({
  half_life_days: decimalParam({ min: '0' }).default('7').superRefine((v, ctx) => {
    if (new Decimal(v).isZero()) ctx.addIssue({ code: 'custom', message: 'must be more than 0 days' });
  }),
  lookback_days: lookbackDaysParam,
});
export type TimeDecayParams = z.output<typeof timeDecayParams>;

/** 2^(−|Δ| / halfLife), Δ in (whole) milliseconds, half-life in days; 40 significant digits. */
export function decayWeight(deltaMs: number, halfLifeDays: string): Decimal {
  const { scale, halfLifeMs } = exponentOf(halfLifeDays);
  return powerOfTwoNegative(BigInt(Math.abs(deltaMs)) * scale, halfLifeMs);
}

/** decayWeight as a coefficient and a power of ten. */
function scaledDecayWeight(deltaMs: number, halfLifeDays: string): ScaledDecimal {
  const { scale, halfLifeMs } = exponentOf(halfLifeDays);
  return scaledPowerOfTwoNegative(BigInt(Math.abs(deltaMs)) * scale, halfLifeMs);
}

/** Per half-life as written: the exponent |Δ| / half-life as the exact fraction |Δ| × 10^s / (half-life × 10^s × 86,400,000). */
const exponents = new Map<string, { scale: bigint; halfLifeMs: bigint }>();
function exponentOf(halfLifeDays: string): { scale: bigint; halfLifeMs: bigint } {
  let exponent = exponents.get(halfLifeDays);
  if (exponent === undefined) {
    const halfLife = new Decimal(halfLifeDays);
    const places = halfLife.decimalPlaces();
    const halfLifeScaled = BigInt(halfLife.times(new Decimal(10).pow(places)).toFixed(0));
    exponent = { scale: 10n ** BigInt(places), halfLifeMs: halfLifeScaled * BigInt(DAY_MS) };
    exponents.set(halfLifeDays, exponent);
  }
  return exponent;
}

export const timeDecay: BookDefinition<TimeDecayParams> = {
  params: timeDecayParams,
  weights: ({ ctx, tx, params }) => decayWeights(bookPath(ctx, tx, params.lookback_days), tx.at, params.half_life_days),
};

/**
 * Each channel's sum of its touches' decay weights, exactly: the 40-digit powers are added as
 * bigints over the smallest power of ten among them, and handed to the allocation in that
 * integer form too (the same ratios as the decimals, without parsing them back).
 */
export function decayWeights(path: ReadonlyArray<PathTouch>, at: number, halfLifeDays: string): Weights {
  if (path.length === 0) return [{ channel: NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }];
  const powers = path.map((t) => ({ channel: t.channel, power: scaledDecayWeight(at - t.at, halfLifeDays) }));
  const exponent = Math.min(...powers.map((p) => p.power.exponent));
  const sums = new Map<string, bigint>();
  for (const { channel, power } of powers) sums.set(channel, (sums.get(channel) ?? 0n) + power.coefficient * powerOfTen(power.exponent - exponent));
  return weightsFromIntegers([...sums].map(([channel, integer]) => ({ channel, weight: new Decimal(`${integer}e${exponent}`), integer })));
}
