// journey_touchpoints: the optional journey stream of the event shape (docs/data-driven-books.md,
// "The journey stream"), one row per touchpoint with its file and line. Written in the loading
// transaction (activities/ingest/loadJourneys.ts).
import type pg from 'pg';
import { copyTextField } from '../copyText';
import { copyRows } from '../sql';

/** The tables a journey load writes: ANALYZEd after commit. */
export const JOURNEY_TABLES = 'journey_touchpoints';

export interface JourneyTouchpoint {
  productId: string;
  interactionType: string;
  /** ISO 8601 UTC */
  timestamp: string;
}

/** One customer's touchpoints (from `line` of file `fileId`) as COPY text rows, in path order. */
export function journeyRows(fileId: string, line: number, customerId: string, touchpoints: ReadonlyArray<JourneyTouchpoint>): string[] {
  return touchpoints.map((t, i) => [fileId, line, i, copyTextField(customerId), copyTextField(t.productId), t.interactionType, t.timestamp].join('\t') + '\n');
}

/** COPYs rows made by journeyRows into journey_touchpoints. */
export async function copyJourneyRows(client: pg.PoolClient, rows: ReadonlyArray<string>): Promise<void> {
  await copyRows(client, 'COPY journey_touchpoints (file_id, line, position, customer_id, product_id, interaction_type, occurred_at) FROM STDIN', rows);
}
