import { InvalidInputError } from './errors';
import { compareStrings } from './order';
import { Rational } from './rational';

// The Shapley book's model (docs/data-driven-books.md). The coalition of a journey is its set of
// distinct channels, cut to the `maxChannels` that appear first. The characteristic function is
// v(T) = conversions / journeys of the journeys whose coalition is exactly T, 0 for a coalition
// no journey has, and v(∅) = 0 (a journey without channels is not part of the game). A coalition
// S shares v(S) among its channels by their Shapley values over the sub-game on the subsets of S:
//   φ_c = Σ_{T ⊆ S, c ∈ T} w(|T| − 1)·v(T) − Σ_{T ⊆ S, c ∉ T} w(|T|)·v(T),  w(k) = k!(s−k−1)!/s!
// (the usual Σ over T ⊆ S∖{c} of w(|T|)·(v(T∪{c}) − v(T)), regrouped so that only the observed
// coalitions, where v ≠ 0, are visited). Everything is an exact fraction. Pure.

export const DEFAULT_MAX_CHANNELS = 12;
/** A coalition of 20 channels has a million subsets; the ruleset accepts no more. */
export const MAX_MAX_CHANNELS = 20;

export interface CoalitionCount {
  /** Distinct channels, any order (they are sorted here). */
  channels: ReadonlyArray<string>;
  journeys: bigint;
  conversions: bigint;
}

/** The key of a coalition: its sorted channels as JSON. */
export const coalitionKey = (channels: ReadonlyArray<string>): string => JSON.stringify([...channels].sort(compareStrings));

/** The coalition of a path: its distinct channels in order of first appearance, the first `maxChannels` of them. */
export function coalitionOfPath(path: ReadonlyArray<string>, maxChannels: number): string[] {
  return [...new Set(path)].slice(0, maxChannels);
}

export interface CharacteristicFunction {
  /** v(T) of every observed coalition, by coalitionKey; absent coalitions have value 0. */
  values: ReadonlyMap<string, { channels: ReadonlyArray<string>; value: Rational }>;
}

export function characteristicFunction(counts: ReadonlyArray<CoalitionCount>): CharacteristicFunction {
  const totals = new Map<string, { channels: string[]; journeys: bigint; conversions: bigint }>();
  for (const c of counts) {
    if (c.journeys <= 0n || c.conversions < 0n || c.conversions > c.journeys) {
      throw new InvalidInputError(`shapley: coalition ${coalitionKey(c.channels)} has ${c.conversions} conversions of ${c.journeys} journeys`);
    }
    if (c.channels.length === 0) continue;
    const key = coalitionKey(c.channels);
    const t = totals.get(key) ?? { channels: [...c.channels].sort(compareStrings), journeys: 0n, conversions: 0n };
    t.journeys += c.journeys;
    t.conversions += c.conversions;
    totals.set(key, t);
  }
  const values = new Map<string, { channels: ReadonlyArray<string>; value: Rational }>();
  for (const [key, t] of [...totals].sort(([a], [b]) => compareStrings(a, b))) {
    values.set(key, { channels: t.channels, value: Rational.of(t.conversions, t.journeys) });
  }
  return { values };
}

/** v(S) of any coalition. */
export function coalitionValue(v: CharacteristicFunction, channels: ReadonlyArray<string>): Rational {
  return v.values.get(coalitionKey(channels))?.value ?? Rational.ZERO;
}

/** φ_c of every channel of the coalition, unclamped (they sum to v(S)); sorted by channel. */
export function shapleyValues(v: CharacteristicFunction, coalition: ReadonlyArray<string>): Map<string, Rational> {
  const members = [...new Set(coalition)].sort(compareStrings);
  const s = members.length;
  const phi = new Map(members.map((c) => [c, Rational.ZERO]));
  if (s === 0) return phi;
  const inS = new Set(members);
  const factorials = [1n];
  for (let k = 1; k <= s; k++) factorials.push(factorials[k - 1]! * BigInt(k));
  const w = (k: number) => Rational.of(factorials[k]! * factorials[s - k - 1]!, factorials[s]!);
  for (const { channels, value } of v.values.values()) {
    if (value.isZero() || !channels.every((c) => inS.has(c))) continue;
    const t = channels.length;
    const inT = new Set(channels);
    const gain = w(t - 1).times(value);
    const loss = t < s ? w(t).times(value) : Rational.ZERO;
    for (const c of members) phi.set(c, inT.has(c) ? phi.get(c)!.plus(gain) : phi.get(c)!.minus(loss));
  }
  return phi;
}
