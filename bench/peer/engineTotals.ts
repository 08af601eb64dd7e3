// The engine's side of the peer comparison: its ledger's channel totals for one run's decisions,
// read by the ledger's store (store/ledgerReads.ts). Not through the reader view: that one folds
// cells of few accounts into '(other channels)'.
import type pg from 'pg';
import { basisOf } from '../../common/period';
import { channelTotals } from '../../store/ledgerReads';
import type { ChannelTotal } from './duckdb';

export async function engineChannelTotals(
  pool: pg.Pool, run: { modelVersion: string; from: string | null; to: string; asOf: string },
): Promise<ChannelTotal[]> {
  const rows = await channelTotals(pool, run.modelVersion, basisOf(run.from, run.to, run.asOf));
  return rows.map((r) => ({ book: r.book, channel: r.channel, currency: r.currency, amountUnits: numericToUnits(r.revenue) }));
}

/** A NUMERIC with at most 4 decimals (`-12.5`, `3.0000`) as integer units of 0.0001. */
export function numericToUnits(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{0,4}))?$/.exec(text.trim());
  if (!match) throw new Error(`not an amount with at most 4 decimals: ${JSON.stringify(text)}`);
  const units = BigInt(match[2]!) * 10000n + BigInt((match[3] ?? '').padEnd(4, '0'));
  return match[1] === '-' ? -units : units;
}
