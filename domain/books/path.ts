import { Decimal } from 'decimal.js';
import { z } from 'zod';
import type { AccountContext } from '../context';
import { decimalParam, strictMapping } from '../rulesetValues';
import { touchPathOf, type PathTouch, type TransactionFacts } from '../transaction';

export const DAY_MS = 86_400_000;

/** The distinct channels of a touch path in order of first appearance. */
export function distinctChannels(path: ReadonlyArray<PathTouch>): string[] {
  return [...new Set(path.map((t) => t.channel))];
}

/**
 * `lookback_days` of a path-based book (docs/data-driven-books.md): touches more than that many
 * days before the transaction are dropped. A touch exactly `lookback_days` before it is kept;
 * touches after the transaction (the CSV shape's path runs to the end of the active period) are
 * never dropped by it. Absent: no lookback. A decimal string, so fractional days stay exact.
 */
export const lookbackDaysParam = decimalParam({ min: '0' }).optional();

/** The parameters of a path book that has nothing else to configure. */
export const pathBookParams = strictMapping({ lookback_days: lookbackDaysParam });
export type PathBookParams = z.output<typeof pathBookParams>;

/** The transaction's touch path (its own touchpoints or the account's path) cut to the lookback window. */
export function bookPath(ctx: AccountContext, tx: TransactionFacts, lookbackDays: string | undefined): PathTouch[] {
  const path = touchPathOf(ctx.touchPath, tx);
  if (lookbackDays === undefined) return path;
  // Milliseconds are integers; the earliest kept instant is tx.at − days × 86,400,000, compared
  // exactly (a fractional number of days may give a fractional millisecond).
  const earliest = new Decimal(tx.at).minus(new Decimal(lookbackDays).times(DAY_MS));
  return path.filter((t) => earliest.lte(t.at));
}
