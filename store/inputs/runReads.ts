// Reads of the billing and event inputs by a run's book shards (docs/decisions.md, "Books and
// allocation"): the shard's payments and refunds of the period, through the users prepareRun
// assigned to the shard, and what only events have (docs/decisions.md, "Events"): the products,
// touchpoints, bundle and source of event transactions, keyed by transaction id. CSV-shape
// transactions have none of it, and books then use the account's context alone. The sensitivity
// sweep reads the same event facts for some customers.
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import type { EventSource, InteractionType, ProductLine, Touchpoint } from '../../domain/transaction';
import { inPeriod } from '../predicates';
import type { RunRecord } from '../runs';

type Db = pg.Pool | pg.PoolClient;

export interface ShardPaymentRow {
  account_id: string;
  user_id: string;
  payment_id: string;
  /** decimal text, as stored */
  amount: string;
  currency: string;
  paid_at: Date;
}

export interface ShardRefundRow {
  account_id: string;
  user_id: string;
  refund_id: string;
  /** decimal text, positive */
  amount: string;
  currency: string;
  refunded_at: Date;
  payment_id: string | null;
}

/** The payments and refunds of the run's period of the users of one shard, with their accounts. */
export async function readShardBilling(db: Db, run: RunRecord, shard: number): Promise<{ payments: ShardPaymentRow[]; refunds: ShardRefundRow[] }> {
  // The shard's users as prepareRun stored them (an index range, not a hash of every user per shard).
  const users = 'SELECT user_id, account_id FROM context_shard_users WHERE context_id = $1 AND shard_count = $2 AND shard = $3';
  const params = [run.contextId, run.shardCount, shard, run.periodFrom === null ? null : new Date(run.periodFrom), new Date(run.periodTo)];
  const [payments, refunds] = await Promise.all([
    db.query<ShardPaymentRow>(`SELECT u.account_id, p.user_id, p.payment_id, p.amount, p.currency, p.paid_at FROM payments p JOIN (${users}) u USING (user_id)
                 WHERE ${inPeriod('p.paid_at', '$4', '$5')}`, params),
    db.query<ShardRefundRow>(`SELECT u.account_id, r.user_id, r.refund_id, r.amount, r.currency, r.refunded_at, r.payment_id FROM refunds r JOIN (${users}) u USING (user_id)
                 WHERE ${inPeriod('r.refunded_at', '$4', '$5')}`, params),
  ]);
  return { payments: payments.rows, refunds: refunds.rows };
}

export interface EventFacts {
  source: EventSource;
  customerId: string;
  bundleId: string | null;
  products: ProductLine[];
  touchpoints: Touchpoint[];
}

/** The event facts of one shard's event transactions of the run's period. */
export async function readEventFacts(db: Db, run: RunRecord, shard: number): Promise<Map<string, EventFacts>> {
  // The shard's event transactions of the period: the customer is the account (its own workspace).
  const shardEvents = `SELECT e.transaction_id, e.customer_id, e.source, e.bundle_id
                         FROM event_transactions e
                         JOIN context_shard_users su ON su.context_id = $1 AND su.shard_count = $2 AND su.shard = $3 AND su.user_id = e.customer_id
                         LEFT JOIN payments p ON e.kind = 'payment' AND p.payment_id = e.transaction_id
                         LEFT JOIN refunds r ON e.kind = 'refund' AND r.refund_id = e.transaction_id
                        WHERE ${inPeriod('coalesce(p.paid_at, r.refunded_at)', '$4', '$5')}`;
  const params = [run.contextId, run.shardCount, shard, run.periodFrom === null ? null : new Date(run.periodFrom), new Date(run.periodTo)];
  return factsOf(db, shardEvents, params);
}

/** The same for the event transactions of some customers in [from, to) (a sensitivity sweep). */
export async function readCustomersEventFacts(db: Db, customerIds: ReadonlyArray<string>, from: Date | null, to: Date): Promise<Map<string, EventFacts>> {
  const events = `SELECT e.transaction_id, e.customer_id, e.source, e.bundle_id
                    FROM event_transactions e
                    LEFT JOIN payments p ON e.kind = 'payment' AND p.payment_id = e.transaction_id
                    LEFT JOIN refunds r ON e.kind = 'refund' AND r.refund_id = e.transaction_id
                   WHERE e.customer_id = ANY($1::text[]) AND ${inPeriod('coalesce(p.paid_at, r.refunded_at)', '$2', '$3')}`;
  return factsOf(db, events, [[...customerIds], from, to]);
}

async function factsOf(db: Db, eventsSql: string, params: unknown[]): Promise<Map<string, EventFacts>> {
  const events = await db.query<{ transaction_id: string; customer_id: string; source: EventSource; bundle_id: string | null }>(eventsSql, params);
  if (events.rows.length === 0) return new Map();
  const ids = events.rows.map((e) => e.transaction_id);
  const [products, touchpoints] = await Promise.all([
    db.query<{ transaction_id: string; product_id: string; quantity: string; unit_price: string; metadata: Record<string, unknown> | null }>(
      `SELECT transaction_id, product_id, quantity::text, unit_price::text, metadata
         FROM event_products WHERE transaction_id = ANY($1::text[]) ORDER BY transaction_id, position`, [ids]),
    db.query<{ transaction_id: string; product_id: string; interaction_type: InteractionType; occurred_at: Date; weight: string | null }>(
      `SELECT transaction_id, product_id, interaction_type, occurred_at, weight::text
         FROM event_touchpoints WHERE transaction_id = ANY($1::text[]) ORDER BY transaction_id, position`, [ids]),
  ]);
  const facts = new Map<string, EventFacts>();
  for (const e of events.rows) {
    facts.set(e.transaction_id, { source: e.source, customerId: e.customer_id, bundleId: e.bundle_id, products: [], touchpoints: [] });
  }
  for (const p of products.rows) {
    facts.get(p.transaction_id)?.products.push({ productId: p.product_id, quantity: new Decimal(p.quantity), unitPrice: new Decimal(p.unit_price), metadata: p.metadata });
  }
  for (const t of touchpoints.rows) {
    facts.get(t.transaction_id)?.touchpoints.push({
      productId: t.product_id, interactionType: t.interaction_type, at: t.occurred_at.getTime(), weight: t.weight === null ? null : new Decimal(t.weight),
    });
  }
  return facts;
}
