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
// probabilities are solved exactly: x_s = Σ_t p(s,t)·x_t + p(s, conversion) is solved by
// eliminating states one at a time over bigint fractions, which gives x_start with no rounding at
// all. Pure: the counts come from SQL (activities/run/buildRunModels.ts) or from
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
  const reachable = reachableStates(outgoing, removed);
  if (reachable.length === 0) return Rational.ZERO;
  const inChain = new Set(reachable);
  // x_s = Σ_t p(s,t)·x_t + p(s, conversion) over the transient states; transitions to a removed
  // state, to null or out of the chain contribute nothing.
  const system = new Map<string, Equation>();
  for (const state of reachable) {
    const targets = outgoing.get(state)!;
    const total = Rational.of([...targets.values()].reduce((a, b) => a + b, 0n));
    const equation: Equation = { terms: new Map(), constant: Rational.ZERO };
    for (const [to, count] of targets) {
      const p = Rational.of(count).div(total);
      if (to === CONVERSION_STATE) equation.constant = equation.constant.plus(p);
      else if (inChain.has(to)) equation.terms.set(to, (equation.terms.get(to) ?? Rational.ZERO).plus(p));
    }
    system.set(state, equation);
  }
  return eliminateToStart(system);
}

/** One linear equation x_s = Σ terms(t)·x_t + constant. */
interface Equation {
  terms: Map<string, Rational>;
  constant: Rational;
}

/**
 * Solves for x_start exactly by eliminating the other states one by one (Gaussian elimination in a
 * sparse order): a state's equation is solved for itself and substituted into the equations that
 * use it. Choosing, each time, the state with the fewest (users × terms) keeps the fill-in small on
 * the tree-like chains of higher orders; ties go to the state key, so the steps are always the same.
 */
function eliminateToStart(system: Map<string, Equation>): Rational {
  const users = new Map<string, Set<string>>([...system.keys()].map((s) => [s, new Set<string>()]));
  for (const [s, eq] of system) for (const t of eq.terms.keys()) users.get(t)!.add(s);
  const pending = new Set([...system.keys()].filter((s) => s !== START_STATE));
  while (pending.size > 0) {
    let best: string | undefined;
    let bestCost = Infinity;
    for (const s of pending) {
      const cost = users.get(s)!.size * system.get(s)!.terms.size;
      if (cost < bestCost || (cost === bestCost && best !== undefined && s < best)) [best, bestCost] = [s, cost];
    }
    const v = best!;
    pending.delete(v);
    const solved = solveForItself(v, system.get(v)!);
    for (const u of users.get(v)!) {
      if (u === v) continue;
      const eq = system.get(u)!;
      const factor = eq.terms.get(v)!;
      eq.terms.delete(v);
      eq.constant = eq.constant.plus(factor.times(solved.constant));
      for (const [t, c] of solved.terms) {
        eq.terms.set(t, (eq.terms.get(t) ?? Rational.ZERO).plus(factor.times(c)));
        users.get(t)!.add(u);
      }
    }
    for (const t of solved.terms.keys()) users.get(t)!.delete(v);
    system.delete(v);
  }
  return solveForItself(START_STATE, system.get(START_STATE)!).constant;
}

/** x_v = a·x_v + rest → x_v = rest / (1 − a). */
function solveForItself(v: string, eq: Equation): Equation {
  const self = eq.terms.get(v) ?? Rational.ZERO;
  const scale = Rational.ONE.minus(self);
  if (scale.isZero()) throw new InvalidInputError(`markov: state ${v} never reaches an absorbing state`);
  const terms = new Map<string, Rational>();
  for (const [t, c] of eq.terms) if (t !== v) terms.set(t, c.div(scale));
  return { terms, constant: eq.constant.div(scale) };
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

/** Digits a data-driven weight keeps after the decimal point (truncated; docs/data-driven-books.md). */
export const WEIGHT_DECIMAL_PLACES = 30;

/** A removal effect or Shapley value as the fixed decimal that is stored and used as a weight. */
export function weightDecimal(value: Rational): Decimal {
  return value.toFixedDecimal(WEIGHT_DECIMAL_PLACES);
}
