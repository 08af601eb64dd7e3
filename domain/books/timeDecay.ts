import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { NO_INTEGRATION_CHANNEL } from '../channels';
import { ExactDecimal, toPlainDecimal } from '../exactDecimal';
import { powerOfTwoNegative } from '../powerOfTwo';
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

export function decayWeights(path: ReadonlyArray<PathTouch>, at: number, halfLifeDays: string): Weights {
  if (path.length === 0) return [{ channel: NO_INTEGRATION_CHANNEL, weight: new Decimal(1) }];
  const sums = new Map<string, Decimal>();
  for (const t of path) sums.set(t.channel, (sums.get(t.channel) ?? new ExactDecimal(0)).plus(decayWeight(at - t.at, halfLifeDays)));
  return [...sums].map(([channel, w]) => ({ channel, weight: toPlainDecimal(w) }));
}
