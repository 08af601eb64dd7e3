// The line of the summary that says what the data-driven books learned from (the books' own
// method sentences are in bookMethods.ts). Pure.

export interface LearnedSummary {
  journeys: number;
  converting: number;
  withoutChannels: number;
  /** Journeys from the optional stream of non-converting journeys. */
  streamed: number;
  markovOrder: number | null;
  shapleyMaxChannels: number | null;
  /** P(conversion) of the chain, "n/d". */
  conversionProbability: string | null;
}

/** What the data-driven books learned from, and the warning when no journey failed to convert. */
export function learnedSentence(l: LearnedSummary): string {
  const nonConverting = l.journeys - l.converting;
  const base = `The data-driven books learned from ${l.journeys} journeys: ${l.converting} converting, ${nonConverting} not`
    + `${l.streamed > 0 ? ` (${l.streamed} from the non-converting journey stream)` : ''}; ${l.withoutChannels} without a channel take no part.`;
  if (nonConverting === 0) return `${base} Every journey converts (the data holds no non-converting journey), so removal effects and Shapley values only tell how often channels occur.`;
  return base;
}
