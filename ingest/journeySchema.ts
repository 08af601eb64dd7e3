// The optional stream of non-converting journeys of the event shape (docs/data-driven-books.md):
// one journey per NDJSON line, `{"customerId": "...", "touchpoints": [...]}`, touchpoints exactly
// as in events (productId, interactionType, timestamp, optional weight), and no money. Validated
// like events: unknown keys are errors, every problem is reported with its column. Pure.
import { z } from 'zod';
import { describeIssue, genericMessage, id, parseObjectLine, touchpointSchema, type CanonicalTouchpoint, type EventProblem } from './eventSchema';

export interface CanonicalJourney {
  customerId: string;
  touchpoints: CanonicalTouchpoint[];
}

export type JourneyParseResult = { ok: true; journey: CanonicalJourney } | { ok: false; problems: EventProblem[] };

const journeySchema = z.strictObject({
  customerId: id,
  touchpoints: z.array(touchpointSchema, { error: (issue) => (issue.input === undefined ? 'is required' : 'must be a list') }),
});

/** A file of the journey stream: `journeys.ndjson`, `journeys.jsonl` or `<name>.journeys.ndjson|jsonl`. */
export function isJourneyStreamFile(fileName: string): boolean {
  return /(^|\.)journeys\.(ndjson|jsonl)$/i.test(fileName);
}

export function parseJourneyLine(text: string): JourneyParseResult {
  const line = parseObjectLine(text);
  if (!line.ok) return line;
  const parsed = journeySchema.safeParse(line.value, { error: genericMessage, reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.flatMap((issue) => describeIssue(issue, 'a journey')) };
  return {
    ok: true,
    journey: {
      customerId: parsed.data.customerId,
      touchpoints: parsed.data.touchpoints.map((t) => ({ productId: t.productId, interactionType: t.interactionType, timestamp: t.timestamp, weight: t.weight ?? null })),
    },
  };
}
