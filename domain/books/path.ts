import type { PathTouch } from '../transaction';

/** The distinct channels of a touch path in order of first appearance. */
export function distinctChannels(path: ReadonlyArray<PathTouch>): string[] {
  return [...new Set(path.map((t) => t.channel))];
}
