// A bound on the work a CEL condition can do (docs/rules-engine.md, "Cost budget"). cel-js limits
// the size of an expression (AST nodes, depth, list literal length) but not the work it does:
// comprehensions nested over list literals type-check and then run for minutes, blocking the
// worker's event loop. This module estimates, from the parsed expression, how many steps an
// evaluation takes at most, given the sizes of the lists and maps it iterates over.
//
// The estimate is an upper bound of a simple model: every node costs 1; a comprehension
// (`all`, `exists`, `exists_one`, `map`, `filter`) costs its range plus, per element, its body; a
// list or map literal has its literal size; `map` and `filter` give lists of their range's size,
// `+` of two lists the sum; `in` over a collection costs its size. Collections read from the
// transaction (event.products, account.touchPlatforms, ...) have the sizes that `sizeOf` gives:
// assumed sizes when the ruleset loads, the actual sizes when a transaction is evaluated.

/** At most this many steps per evaluation of one condition on one transaction. */
export const CEL_COST_BUDGET = 1_000_000;

/** Collection sizes assumed when a ruleset loads; larger ones are checked per transaction. */
export const ASSUMED_SIZES: Readonly<Record<string, number>> = {
  'event.products': 100,
  'event.touchpoints': 100,
  'account.touchPlatforms': 100,
  'account.netRevenue': 20,
  'account.usageUnits': 100,
  '(other)': 100,
};

export type SizeOf = (path: string) => number;

interface Shape {
  /** upper bound of the steps to evaluate the node */
  cost: number;
  /** upper bound of its size, when it is a list or map */
  size: number;
  /** the shape of its elements, when it is a list (for a nested comprehension over them) */
  elem: Shape | undefined;
}

interface AstNode {
  op: string;
  args: unknown;
}

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);

/** The estimated steps of one evaluation of `ast` (a cel-js AST). */
export function estimateCost(ast: unknown, sizeOf: SizeOf): number {
  return shapeOf(ast as AstNode, new Map(), sizeOf).cost;
}

function leaf(size = 0, elem?: Shape): Shape {
  return { cost: 1, size, elem };
}

function shapeOf(node: AstNode, scope: ReadonlyMap<string, Shape>, sizeOf: SizeOf): Shape {
  const of = (n: unknown, s: ReadonlyMap<string, Shape> = scope) => shapeOf(n as AstNode, s, sizeOf);
  switch (node.op) {
    case 'value':
      return leaf();
    case 'id': {
      // Reading a variable is one step, whatever it cost to build the value it holds.
      const bound = scope.get(node.args as string);
      return bound ? { ...bound, cost: 1 } : leaf(sizeOf('(other)'));
    }
    case '.': {
      const [target, field] = node.args as [AstNode, string];
      const base = of(target);
      const path = target.op === 'id' && !scope.has(target.args as string) ? `${String(target.args)}.${field}` : '(other)';
      const size = sizeOf(path in ASSUMED_SIZES ? path : '(other)');
      return { cost: base.cost + 1, size, elem: leaf(sizeOf('(other)')) };
    }
    case 'list': {
      const items = (node.args as unknown[]).map((n) => of(n));
      return { cost: 1 + sum(items.map((i) => i.cost)), size: items.length, elem: widest(items) };
    }
    case 'map': {
      const entries = (node.args as unknown[][]).map(([k, v]) => [of(k), of(v)] as const);
      return { cost: 1 + sum(entries.map(([k, v]) => k.cost + v.cost)), size: entries.length, elem: widest(entries.map(([k]) => k)) };
    }
    case 'rcall': {
      const [name, receiver, args] = node.args as [string, AstNode, AstNode[]];
      const range = of(receiver);
      if (MACROS.has(name)) return comprehension(name, range, args, scope, sizeOf);
      const rest = args.map((a) => of(a));
      return { cost: 1 + range.cost + sum(rest.map((r) => r.cost)) + range.size, size: range.size, elem: range.elem };
    }
    case 'call': {
      const [, args] = node.args as [string, AstNode[]];
      const parts = args.map((a) => of(a));
      return { cost: 1 + sum(parts.map((p) => p.cost + p.size)), size: Math.max(0, ...parts.map((p) => p.size)), elem: widest(parts) };
    }
    default:
      return operator(node, scope, sizeOf);
  }
}

/** A comprehension: its range once, its body once per element (with the iteration variables bound). */
function comprehension(name: string, range: Shape, args: AstNode[], scope: ReadonlyMap<string, Shape>, sizeOf: SizeOf): Shape {
  const element = range.elem ?? leaf(sizeOf('(other)'));
  const inner = new Map(scope);
  // all/exists/exists_one(k, v, predicate) over a map bind two variables; otherwise one.
  const vars = args.length === 3 && name !== 'map' ? 2 : 1;
  for (const v of args.slice(0, vars)) if (v.op === 'id') inner.set(v.args as string, element);
  // Each body is estimated once (estimating it again per use would be exponential in the nesting).
  const bodies = args.slice(vars).map((b) => shapeOf(b, inner, sizeOf));
  const perElement = sum(bodies.map((b) => b.cost)) + 1;
  const last = bodies[bodies.length - 1] ?? leaf();
  const cost = 1 + range.cost + range.size * perElement;
  if (name === 'map') return { cost, size: range.size, elem: last };
  if (name === 'filter') return { cost, size: range.size, elem: element };
  return { cost, size: 0, elem: undefined };
}

/** Operators (`&&`, `==`, `+`, `in`, `[]`, `?:`, ...): their operands, plus the collection an `in` or `+` walks. */
function operator(node: AstNode, scope: ReadonlyMap<string, Shape>, sizeOf: SizeOf): Shape {
  const raw = Array.isArray(node.args) ? node.args : [node.args];
  const operands = raw.filter((a): a is AstNode => typeof a === 'object' && a !== null && 'op' in a).map((a) => shapeOf(a, scope, sizeOf));
  const cost = 1 + sum(operands.map((o) => o.cost));
  if (node.op === 'in') return { cost: cost + (operands[1]?.size ?? 0), size: 0, elem: undefined };
  if (node.op === '+' && operands.length === 2) {
    const [a, b] = operands as [Shape, Shape];
    return { cost: cost + a.size + b.size, size: a.size + b.size, elem: widest([a.elem, b.elem].filter((e): e is Shape => e !== undefined)) };
  }
  if (node.op === '[]') {
    const target = operands[0];
    return { cost, size: target?.elem?.size ?? sizeOf('(other)'), elem: target?.elem?.elem };
  }
  if (node.op === '?:') {
    const branches = operands.slice(1);
    return { cost, size: Math.max(0, ...branches.map((b) => b.size)), elem: widest(branches) };
  }
  return { cost, size: Math.max(0, ...operands.map((o) => o.size)), elem: widest(operands.map((o) => o.elem).filter((e): e is Shape => e !== undefined)) };
}

/** The element shape that bounds all of `shapes` (the largest size, recursively). */
function widest(shapes: ReadonlyArray<Shape>): Shape | undefined {
  if (shapes.length === 0) return undefined;
  return {
    cost: Math.max(...shapes.map((s) => s.cost)),
    size: Math.max(...shapes.map((s) => s.size)),
    elem: widest(shapes.map((s) => s.elem).filter((e): e is Shape => e !== undefined)),
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
