import { Decimal } from 'decimal.js';
import { InvalidInputError } from './errors';
import { compareStrings } from './order';
import { Rational } from './rational';

// The Markov book's model (docs/data-driven-books.md): an absorbing chain estimated from the
// run's journeys. A journey walks start → its channels in order (consecutive repeats collapsed) →
// conversion or null. With order k a state is the last k channels walked (fewer at the start of
// a journey). Transition probabilities are count(s → t) / count(s → anything).
//
// The removal effect of channel c is 1 − P(conversion with c removed) / P(conversion), where
// removing c sends every transition into a state that contains c to null. Absorption
// probabilities are solved exactly: each equation out(s)·x_s − Σ count(s,t)·x_t = count(s, conv)
// has integer coefficients, and Gaussian elimination over bigint fractions gives x_start with no
// rounding at all. Pure: the counts come from SQL (activities/run/buildRunModels.ts) or from
// `transitionsOfJourneys` (tests and the cross-check).

export const START_STATE = '(start)';
export const CONVERSION_STATE = '(conversion)';
export const NULL_STATE = '(null)';

/** The largest chain order the ruleset accepts. */
export const MAX_MARKOV_ORDER = 4;

/** A channel state's key: the JSON array of its channels (channel names may hold any character). */
export const stateKey = (channels: ReadonlyArray<string>): string => JSON.stringify(channels);

function channelsOfState(key: string): string[] {
  if (key === START_STATE || key === CONVERSION_STATE || key === NULL_STATE) return [];
  return JSON.parse(key) as string[];
}

export interface MarkovTransition {
  from: string;
  to: string;
  count: bigint;
}

export interface Journey {
  /** Channels in the order touched (repeats allowed: they are collapsed here). */
  path: ReadonlyArray<string>;
  converted: boolean;
  count: bigint;
}

/** Consecutive repeats of a channel collapsed: a, a, b, a → a, b, a. */
export function collapseRepeats(path: ReadonlyArray<string>): string[] {
  return path.filter((c, i) => i === 0 || path[i - 1] !== c);
}

/** Transition counts of journeys under a chain of the given order (what the SQL aggregation computes). */
export function transitionsOfJourneys(journeys: ReadonlyArray<Journey>, order: number): MarkovTransition[] {
  const counts = new Map<string, bigint>();
  const add = (from: string, to: string, n: bigint) => {
    const key = JSON.stringify([from, to]);
    counts.set(key, (counts.get(key) ?? 0n) + n);
  };
  for (const j of journeys) {
    const path = collapseRepeats(j.path);
    if (path.length === 0) continue; // no channel: not part of the chain (docs/data-driven-books.md)
    let previous = START_STATE;
    for (let i = 0; i < path.length; i++) {
      const state = stateKey(path.slice(Math.max(0, i + 1 - order), i + 1));
      add(previous, state, j.count);
      previous = state;
    }
    add(previous, j.converted ? CONVERSION_STATE : NULL_STATE, j.count);
  }
  return [...counts].sort(([a], [b]) => compareStrings(a, b)).map(([key, count]) => {
    const [from, to] = JSON.parse(key) as [string, string];
    return { from, to, count };
  });
}

export interface RemovalEffects {
  conversionProbability: Rational;
  /** Per channel, sorted by channel name. */
  effects: Map<string, Rational>;
}

/** Per channel, how many converting journeys touch it (what the SQL aggregation also counts). */
export function conversionsThroughChannels(journeys: ReadonlyArray<Journey>): Map<string, bigint> {
  const through = new Map<string, bigint>();
  for (const j of journeys) {
    for (const channel of new Set(j.path)) through.set(channel, (through.get(channel) ?? 0n) + (j.converted ? j.count : 0n));
  }
  return new Map([...through].sort(([a], [b]) => compareStrings(a, b)));
}

/**
 * The removal effect of every channel that appears in a state of the chain. A channel that no
 * converting journey touches (`conversionsThrough` 0 or absent) gets 0: the chain can still route
 * a conversion through it by joining transitions of different journeys, but the data holds none.
 */
export function removalEffects(transitions: ReadonlyArray<MarkovTransition>, conversionsThrough: ReadonlyMap<string, bigint>): RemovalEffects {
  for (const t of transitions) {
    if (t.count < 0n) throw new InvalidInputError(`markov: transition ${t.from} → ${t.to} has a negative count`);
  }
  const channels = [...new Set(transitions.flatMap((t) => [...channelsOfState(t.from), ...channelsOfState(t.to)]))].sort(compareStrings);
  const base = conversionProbability(transitions, () => false);
  const effects = new Map<string, Rational>();
  for (const channel of channels) {
    if (base.isZero() || (conversionsThrough.get(channel) ?? 0n) === 0n) {
      effects.set(channel, Rational.ZERO);
      continue;
    }
    const removed = conversionProbability(transitions, (state) => channelsOfState(state).includes(channel));
    effects.set(channel, Rational.ONE.minus(removed.div(base)));
  }
  return { conversionProbability: base, effects };
}

/** P(absorbed in conversion | start) with the states for which `removed` holds sent to null. */
export function conversionProbability(transitions: ReadonlyArray<MarkovTransition>, removed: (state: string) => boolean): Rational {
  const outgoing = new Map<string, Map<string, bigint>>();
  for (const t of transitions) {
    if (removed(t.from)) continue;
    const row = outgoing.get(t.from) ?? new Map<string, bigint>();
    row.set(t.to, (row.get(t.to) ?? 0n) + t.count);
    outgoing.set(t.from, row);
  }
  // Only states reachable from start matter; their order is fixed (sorted) so every run
  // eliminates in the same order (the result is exact either way).
  const reachable = reachableStates(outgoing, removed);
  if (reachable.length === 0) return Rational.ZERO;
  const index = new Map(reachable.map((s, i) => [s, i]));
  const matrix = reachable.map((state) => {
    const row: Rational[] = Array.from({ length: reachable.length + 1 }, () => Rational.ZERO);
    const targets = outgoing.get(state)!;
    const total = [...targets.values()].reduce((a, b) => a + b, 0n);
    row[index.get(state)!] = Rational.of(total);
    for (const [to, count] of targets) {
      if (to === CONVERSION_STATE) row[reachable.length] = row[reachable.length]!.plus(Rational.of(count));
      else if (index.has(to)) row[index.get(to)!] = row[index.get(to)!]!.minus(Rational.of(count));
    }
    return row;
  });
  return solve(matrix)[index.get(START_STATE)!]!;
}

function reachableStates(outgoing: ReadonlyMap<string, ReadonlyMap<string, bigint>>, removed: (state: string) => boolean): string[] {
  if (!outgoing.has(START_STATE)) return [];
  const seen = new Set([START_STATE]);
  const queue = [START_STATE];
  while (queue.length > 0) {
    for (const [to, count] of outgoing.get(queue.pop()!) ?? []) {
      if (count > 0n && outgoing.has(to) && !removed(to) && !seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return [...seen].sort(compareStrings);
}

/** Gauss–Jordan elimination of an augmented n × (n+1) system of fractions; exact. */
function solve(rows: Rational[][]): Rational[] {
  const n = rows.length;
  for (let col = 0; col < n; col++) {
    const pivotRow = rows.findIndex((r, i) => i >= col && !r[col]!.isZero());
    if (pivotRow < 0) throw new InvalidInputError('markov: the chain has states that never reach an absorbing state');
    [rows[col], rows[pivotRow]] = [rows[pivotRow]!, rows[col]!];
    const pivot = rows[col]!;
    const p = pivot[col]!;
    for (let k = col; k <= n; k++) pivot[k] = pivot[k]!.div(p);
    for (let i = 0; i < n; i++) {
      const factor = rows[i]![col]!;
      if (i === col || factor.isZero()) continue;
      const row = rows[i]!;
      for (let k = col; k <= n; k++) if (!pivot[k]!.isZero()) row[k] = row[k]!.minus(factor.times(pivot[k]!));
    }
  }
  return rows.map((r) => r[n]!);
}

/** Digits a data-driven weight keeps after the decimal point (truncated; docs/data-driven-books.md). */
export const WEIGHT_DECIMAL_PLACES = 30;

/** A removal effect or Shapley value as the fixed decimal that is stored and used as a weight. */
export function weightDecimal(value: Rational): Decimal {
  return value.toFixedDecimal(WEIGHT_DECIMAL_PLACES);
}
