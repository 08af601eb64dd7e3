import type { Decimal } from 'decimal.js';
import type { Touch } from './context';
import { compareStrings } from './order';

// A transaction as a book sees it. The CSV shape (docs/decisions.md, "Input") gives only the money: the account's
// context carries the touches. The event shape (docs/decisions.md, "Events") adds the transaction's own products,
// touchpoints and bundle; "touchpoints embedded in an event belong to that transaction only".

export const INTERACTION_TYPES = ['view', 'click', 'usage_spike', 'support', 'trial'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

export const EVENT_SOURCES = ['invoice', 'usage_meter', 'marketplace', 'refund'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export interface ProductLine {
  /** Trimmed and lower-cased: a channel. */
  productId: string;
  quantity: Decimal;
  unitPrice: Decimal;
  metadata: Record<string, unknown> | null;
}

export interface Touchpoint {
  /** Trimmed and lower-cased: a channel. */
  productId: string;
  interactionType: InteractionType;
  at: number;
  weight: Decimal | null;
}

/** One payment or refund. CSV-shape transactions have source null and no products/touchpoints. */
export interface TransactionFacts {
  transactionId: string;
  kind: 'payment' | 'refund';
  /** UTC epoch milliseconds */
  at: number;
  currency: string;
  /** Positive magnitude in units of 0.0001 (a refund's amount is subtracted). */
  amountUnits: bigint;
  source: EventSource | null;
  customerId: string | null;
  bundleId: string | null;
  /** The payment a refund reverses: CSV `refunds.payment_id` or the event's `refundOf`. */
  refundOf: string | null;
  products: ReadonlyArray<ProductLine>;
  touchpoints: ReadonlyArray<Touchpoint>;
}

/** A CSV-shape payment or refund: the money only. */
export function csvTransaction(row: { id: string; kind: 'payment' | 'refund'; at: number; currency: string; amountUnits: bigint; refundOf?: string | null }): TransactionFacts {
  return {
    transactionId: row.id, kind: row.kind, at: row.at, currency: row.currency, amountUnits: row.amountUnits,
    source: null, customerId: null, bundleId: null, refundOf: row.refundOf ?? null, products: [], touchpoints: [],
  };
}

/** One step of a touch path: its channel, and for event touchpoints their type and weight. */
export interface PathTouch {
  channel: string;
  at: number;
  interactionType: InteractionType | null;
  weight: Decimal | null;
}

/**
 * The touch path a book walks for this transaction (docs/decisions.md, "Contexts"): the transaction's own touchpoints
 * ordered by (timestamp, productId) when it has any, else the account's path of connections.
 */
export function touchPathOf(accountPath: ReadonlyArray<Touch>, tx: TransactionFacts): PathTouch[] {
  if (tx.touchpoints.length === 0) {
    return accountPath.map((t) => ({ channel: t.platform, at: t.at, interactionType: null, weight: null }));
  }
  return [...tx.touchpoints]
    .sort((a, b) => a.at - b.at || compareStrings(a.productId, b.productId))
    .map((t) => ({ channel: t.productId, at: t.at, interactionType: t.interactionType, weight: t.weight }));
}
