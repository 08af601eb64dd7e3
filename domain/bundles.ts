import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { ExactDecimal } from './exactDecimal';
import { compareStrings } from './order';
import { decimalParam, strictMapping, unwrapYamlNumber } from './rulesetValues';
import { parseTree, readYamlTree } from './rulesetYaml';

// Bundles (the ruleset's `bundles:` key, docs/decisions.md, "Books and allocation" pro_rata): a product id that is a bundle stands
// for its components, split by component weight; a component may itself be a bundle. A cycle
// (A contains B contains A) would never finish expanding, so it is refused when the ruleset loads,
// naming the cycle (the seed's pitfall 4).
//
//   bundles:
//     ent-bundle-v2:
//       components: { crm: 3, voice-suite: 1 }     # weights are relative: 3/4 and 1/4
//     voice-suite:
//       components: { calls: 1, sms: 1 }

/** Bundle id → its components with their weights (canonical decimal text); ids trimmed and lower-cased. */
export type Bundles = Record<string, { components: Record<string, string> }>;

const componentsSchema = z
  .preprocess(unwrapYamlNumber, z.record(z.string(), decimalParam({ min: '0' }), { error: 'must be a mapping of product id to weight' }))
  .superRefine((components, ctx) => {
    const weights = Object.values(components);
    if (weights.length === 0) ctx.addIssue({ code: 'custom', message: 'must list at least one component' });
    else if (weights.every((w) => new ExactDecimal(w).isZero())) ctx.addIssue({ code: 'custom', message: 'weights are all zero' });
  });

export const bundlesSchema = z
  .preprocess(unwrapYamlNumber, z.record(z.string(), strictMapping({ components: componentsSchema }), { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a mapping of bundle id to { components }') }))
  .transform((raw, ctx): Bundles => {
    const bundles: Bundles = {};
    for (const [rawId, bundle] of Object.entries(raw)) {
      const id = channelId(rawId);
      if (id === '' || Object.hasOwn(bundles, id)) {
        ctx.addIssue({ code: 'custom', path: [rawId], message: id === '' ? 'a bundle id must not be empty' : `is the bundle ${id} again (ids are trimmed and lower-cased)` });
        continue;
      }
      const components: Record<string, string> = {};
      for (const [rawComponent, weight] of Object.entries(bundle.components)) {
        const component = channelId(rawComponent);
        if (component === '' || Object.hasOwn(components, component)) {
          ctx.addIssue({ code: 'custom', path: [rawId, 'components', rawComponent], message: component === '' ? 'a product id must not be empty' : `is the component ${component} again` });
        }
        components[component] = weight;
      }
      bundles[id] = { components: sortedRecord(components) };
    }
    const cycle = findCycle(bundles);
    if (cycle) ctx.addIssue({ code: 'custom', message: `cycle ${cycle.join(' → ')}: a bundle cannot contain itself, directly or through other bundles` });
    return sortedRecord(bundles);
  });

const channelId = (raw: string) => raw.trim().toLowerCase();

function sortedRecord<V>(record: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareStrings(a, b)));
}

/** The first cycle in the bundle graph (bundles visited in name order), as a path that ends where it starts. */
export function findCycle(bundles: Bundles): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'open');
    stack.push(id);
    for (const component of Object.keys(bundles[id]!.components)) {
      if (Object.hasOwn(bundles, component)) {
        const cycle = visit(component);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of Object.keys(bundles).sort(compareStrings)) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/**
 * A standalone bundles file (`bundles:` at the top, nothing else), checked like the ruleset's own
 * `bundles:` key, with the same key paths in its errors. The client inlines such a file into the
 * ruleset before hashing it; this lets a bundles file be validated on its own.
 */
export function parseBundlesYaml(text: string, sourceName: string): Bundles {
  const tree = readYamlTree(text, sourceName, 'a bundles file has one key, bundles:');
  return parseTree(strictMapping({ bundles: bundlesSchema }), tree, sourceName).bundles;
}

// Exact expansion. A bundle's share is split as share × w_c / Σw, which has no finite decimal
// form in general (1/3), so the expansion works on fractions of bigints and returns integer
// weights over their common denominator: the ratios are exact, as the allocation needs.

interface Fraction {
  n: bigint;
  d: bigint;
}

function fraction(value: Decimal | string): Fraction {
  const text = new Decimal(value).toFixed();
  const [whole, decimals = ''] = text.split('.');
  return { n: BigInt(`${whole}${decimals}`), d: 10n ** BigInt(decimals.length) };
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? (a < 0n ? -a : a) : gcd(b, a % b));

function add(a: Fraction, b: Fraction): Fraction {
  const n = a.n * b.d + b.n * a.d;
  const d = a.d * b.d;
  const g = gcd(n, d) || 1n;
  return { n: n / g, d: d / g };
}

/**
 * Splits each (channel, weight) whose channel is a bundle into its components, recursively, and
 * sums the weights per leaf channel. Returns exact integer weights (zero weights dropped), sorted
 * by channel. The bundle graph must be acyclic (checked when the ruleset loads).
 */
export function expandBundles(lines: ReadonlyArray<{ channel: string; weight: Decimal }>, bundles: Bundles): Array<{ channel: string; weight: Decimal }> {
  const leaves = new Map<string, Fraction>();
  const expand = (channel: string, share: Fraction): void => {
    const bundle = bundles[channel];
    if (bundle === undefined) {
      leaves.set(channel, add(leaves.get(channel) ?? { n: 0n, d: 1n }, share));
      return;
    }
    const components = Object.entries(bundle.components).map(([c, w]) => [c, fraction(w)] as const);
    const total = components.reduce((sum, [, w]) => add(sum, w), { n: 0n, d: 1n });
    for (const [component, w] of components) {
      // share × w / total
      expand(component, { n: share.n * w.n * total.d, d: share.d * w.d * total.n });
    }
  };
  for (const line of lines) expand(line.channel, fraction(line.weight));

  const nonZero = [...leaves].filter(([, f]) => f.n !== 0n).sort(([a], [b]) => compareStrings(a, b));
  const common = nonZero.reduce((lcm, [, f]) => (lcm * f.d) / gcd(lcm, f.d), 1n);
  return nonZero.map(([channel, f]) => ({ channel, weight: new Decimal(((f.n * common) / f.d).toString()) }));
}
