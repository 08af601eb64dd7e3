// The engine's side of the peer comparison: its ledger's channel totals for one run's decisions,
// read from `ledger_lines` (the readable names, whatever the physical layout underneath). Not
// through the reader view: that one folds cells of few accounts into '(other channels)'.
import type pg from 'pg';
import { basisOf } from '../../common/period';
import type { ChannelTotal } from './duckdb';

export async function engineChannelTotals(
  pool: pg.Pool, run: { modelVersion: string; from: string | null; to: string; asOf: string },
): Promise<ChannelTotal[]> {
  const result = await pool.query<{ book: string; channel: string; currency: string; revenue: string }>(
    `SELECT book, channel, currency::text AS currency, sum(amount)::text AS revenue
       FROM ledger_lines
      WHERE model_version = $1 AND basis = $2
      GROUP BY book, channel, currency`,
    [run.modelVersion, basisOf(run.from, run.to, run.asOf)],
  );
  return result.rows.map((r) => ({ book: r.book, channel: r.channel, currency: r.currency, amountUnits: numericToUnits(r.revenue) }));
}

/** A NUMERIC with at most 4 decimals (`-12.5`, `3.0000`) as integer units of 0.0001. */
export function numericToUnits(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{0,4}))?$/.exec(text.trim());
  if (!match) throw new Error(`not an amount with at most 4 decimals: ${JSON.stringify(text)}`);
  const units = BigInt(match[2]!) * 10000n + BigInt((match[3] ?? '').padEnd(4, '0'));
  return match[1] === '-' ? -units : units;
}
