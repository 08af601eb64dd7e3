// The tables of the event shape as the events loader writes them (docs/decisions.md, "Events"):
// event_transactions, event_products and event_touchpoints, the money in payments and refunds
// like every transaction, and one workspace `customer:<id>` per customer. A load COPYs its events
// into three staging tables first (stage_events, stage_products, stage_touchpoints, dropped at
// commit), sorts out the ids already stored, then inserts what is new. All of it runs in the
// loading transaction (activities/ingest/loadEvents.ts).
import type pg from 'pg';
import type { CanonicalEvent } from '../../ingest/eventSchema';
import { copyTextField } from '../copyText';
import { copyRows } from '../sql';

/** The prefix of the workspace that makes a customer its own account. */
export const CUSTOMER_WORKSPACE_PREFIX = 'customer:';

/** The tables an events load writes: ANALYZEd after commit. */
export const EVENT_TABLES = 'event_transactions, event_products, event_touchpoints, payments, refunds, workspaces';

export async function createEventStage(client: pg.PoolClient): Promise<void> {
  await client.query(`CREATE TEMP TABLE stage_events (line integer, transaction_id text, kind text, customer_id text, source text,
    bundle_id text, refund_of text, content_sha256 text, amount numeric(18,4), currency char(3), at timestamptz) ON COMMIT DROP`);
  await client.query(`CREATE TEMP TABLE stage_products (transaction_id text, position integer, product_id text, quantity numeric,
    unit_price numeric, metadata jsonb) ON COMMIT DROP`);
  await client.query(`CREATE TEMP TABLE stage_touchpoints (transaction_id text, position integer, product_id text,
    interaction_type text, occurred_at timestamptz, weight numeric) ON COMMIT DROP`);
}

/** Staged rows not yet sent, as COPY text of the three staging tables. */
export interface EventStageChunk {
  events: string[];
  products: string[];
  touchpoints: string[];
}

export const emptyEventChunk = (): EventStageChunk => ({ events: [], products: [], touchpoints: [] });

const text = (v: string | null) => (v === null ? '\\N' : copyTextField(v));

/** Adds one validated event (from `line`, with the sha256 of its canonical JSON) to the chunk. */
export function addEventToChunk(chunk: EventStageChunk, line: number, e: CanonicalEvent, sha: string): void {
  const id = copyTextField(e.transactionId);
  chunk.events.push([line, id, e.kind, text(e.customerId), e.source, text(e.bundleId), text(e.refundOf), sha, e.grossAmount, e.currency, e.timestamp].join('\t') + '\n');
  e.products.forEach((p, i) => {
    const metadata = p.metadata === null ? null : JSON.stringify(p.metadata);
    chunk.products.push([id, i, text(p.productId), p.quantity, p.unitPrice, text(metadata)].join('\t') + '\n');
  });
  e.touchpoints.forEach((t, i) => {
    chunk.touchpoints.push([id, i, text(t.productId), t.interactionType, t.timestamp, t.weight ?? '\\N'].join('\t') + '\n');
  });
}

/** COPYs the chunk into the staging tables (an empty part sends nothing). */
export async function copyEventChunk(client: pg.PoolClient, chunk: EventStageChunk): Promise<void> {
  if (chunk.events.length > 0) await copyRows(client, 'COPY stage_events FROM STDIN', chunk.events);
  if (chunk.products.length > 0) await copyRows(client, 'COPY stage_products FROM STDIN', chunk.products);
  if (chunk.touchpoints.length > 0) await copyRows(client, 'COPY stage_touchpoints FROM STDIN', chunk.touchpoints);
}

/** A staged event whose id is stored already, and where. */
export interface StoredEventId {
  line: number;
  transactionId: string;
  storedFile: string;
  storedVersion: number;
  storedLine: number;
}

/**
 * Staged events whose id is already an event, in line order, `same` when its content is identical
 * (an upstream repeat); then drops them all from the stage, so that only new ids are inserted.
 */
export async function takeStoredEvents(client: pg.PoolClient): Promise<Array<StoredEventId & { same: boolean }>> {
  await client.query('ANALYZE stage_events');
  const stored = await client.query<{ line: number; transaction_id: string; same: boolean; stored_file: string; stored_version: number; stored_line: number }>(
    `SELECT s.line, s.transaction_id, t.content_sha256 = s.content_sha256 AS same, f.file_name AS stored_file, f.version AS stored_version, t.line AS stored_line
       FROM stage_events s JOIN event_transactions t USING (transaction_id) JOIN ingested_files f ON f.file_id = t.file_id
      ORDER BY s.line`,
  );
  await client.query('DELETE FROM stage_events s USING event_transactions t WHERE t.transaction_id = s.transaction_id');
  return stored.rows.map((r) => ({ ...storedId(r), same: r.same }));
}

/** Staged events whose id is a payment or refund of a CSV file, in line order. */
export async function stagedCsvTransactions(client: pg.PoolClient): Promise<StoredEventId[]> {
  const csv = await client.query<{ line: number; transaction_id: string; stored_file: string; stored_version: number; stored_line: number }>(
    `SELECT s.line, s.transaction_id, f.file_name AS stored_file, f.version AS stored_version, x.line AS stored_line
       FROM stage_events s
       JOIN (SELECT payment_id AS id, file_id, line FROM payments UNION ALL SELECT refund_id, file_id, line FROM refunds) x ON x.id = s.transaction_id
       JOIN ingested_files f ON f.file_id = x.file_id
      ORDER BY s.line`,
  );
  return csv.rows.map(storedId);
}

function storedId(r: { line: number; transaction_id: string; stored_file: string; stored_version: number; stored_line: number }): StoredEventId {
  return { line: r.line, transactionId: r.transaction_id, storedFile: r.stored_file, storedVersion: r.stored_version, storedLine: r.stored_line };
}

/** Writes the staged (new) events: money to payments/refunds, products, touchpoints, one workspace per customer. Returns the events inserted. */
export async function insertStagedEvents(client: pg.PoolClient, fileId: string): Promise<number> {
  const loaded = await client.query(
    `INSERT INTO event_transactions (transaction_id, kind, customer_id, source, bundle_id, refund_of, content_sha256, file_id, line)
     SELECT transaction_id, kind, customer_id, source, bundle_id, refund_of, content_sha256, $1, line FROM stage_events`,
    [fileId],
  );
  await client.query(`INSERT INTO event_products SELECT p.* FROM stage_products p JOIN stage_events s USING (transaction_id)`);
  await client.query(`INSERT INTO event_touchpoints SELECT t.* FROM stage_touchpoints t JOIN stage_events s USING (transaction_id)`);
  await client.query(
    `INSERT INTO payments (payment_id, user_id, amount, currency, paid_at, file_id, line)
     SELECT transaction_id, customer_id, amount, currency, at, $1, line FROM stage_events WHERE kind = 'payment'`,
    [fileId],
  );
  await client.query(
    `INSERT INTO refunds (refund_id, user_id, amount, currency, refunded_at, payment_id, file_id, line)
     SELECT transaction_id, customer_id, amount, currency, at, refund_of, $1, line FROM stage_events WHERE kind = 'refund'`,
    [fileId],
  );
  await client.query(
    `INSERT INTO workspaces (workspace_id, owner_id, member_ids, file_id, line)
     SELECT $2 || customer_id, customer_id, '{}', $1, min(line) FROM stage_events GROUP BY customer_id
     ON CONFLICT (workspace_id) DO NOTHING`,
    [fileId, CUSTOMER_WORKSPACE_PREFIX],
  );
  return loaded.rowCount ?? 0;
}
