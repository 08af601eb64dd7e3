import type { Touch } from '../context';

/** The distinct channels of a touch path in order of first appearance. */
export function distinctChannels(path: ReadonlyArray<Touch>): string[] {
  return [...new Set(path.map((t) => t.platform))];
}
