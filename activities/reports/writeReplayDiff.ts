// writeReplayDiff: what a rule change did, from the ledger: per book, channel and currency the
// revenue under the old and the new model version, the delta and the delta %, plus the accounts
// whose attribution moved most (sum over channels of |new − old|). Writes replay_diff.csv and
// replay_diff.txt.
import fs from 'node:fs';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import type pg from 'pg';
import { inPeriod } from '../run/runRecord';

export interface ReplayDiffInput {
  oldModelVersion: string;
  newModelVersion: string;
  /** Both sides are read under this basis (a replay backfills months: `monthly`). */
  basis: string;
  from: string;
  to: string;
  books: string[];
  outDir: string;
  topAccounts?: number;
}

export interface ReplayDiffRow {
  book: string;
  channel: string;
  currency: string;
  oldRevenue: string;
  newRevenue: string;
  delta: string;
  deltaPct: string;
}

export const REPLAY_DIFF_CSV = 'replay_diff.csv';
export const REPLAY_DIFF_TXT = 'replay_diff.txt';

export async function writeReplayDiff(pool: pg.Pool, input: ReplayDiffInput): Promise<{ outDir: string; files: string[]; rows: number }> {
  const params = [input.oldModelVersion, input.newModelVersion, input.books, new Date(input.from), new Date(input.to), input.basis];
  const channels = await pool.query<{ book: string; channel: string; currency: string; old: string; new: string }>(
    `SELECT book, channel, currency::text AS currency,
            coalesce(sum(amount) FILTER (WHERE model_version = $1), 0)::numeric(18,4)::text AS old,
            coalesce(sum(amount) FILTER (WHERE model_version = $2), 0)::numeric(18,4)::text AS new
       FROM ledger_lines
      WHERE model_version IN ($1, $2) AND basis = $6 AND book = ANY($3) AND ${inPeriod('event_at', '$4', '$5')}
      GROUP BY book, channel, currency
      ORDER BY book, currency, channel`,
    params,
  );
  const rows: ReplayDiffRow[] = channels.rows.map((r) => {
    const delta = new Decimal(r.new).minus(r.old);
    const pct = new Decimal(r.old).isZero() ? '' : delta.mul(100).div(r.old).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed(2);
    return { book: r.book, channel: r.channel, currency: r.currency, oldRevenue: r.old, newRevenue: r.new, delta: delta.toFixed(4), deltaPct: pct };
  });
  const movers = await pool.query<{ book: string; account_id: string; currency: string; moved: string }>(
    `WITH per_channel AS (
       SELECT book, account_id, currency, channel,
              coalesce(sum(amount) FILTER (WHERE model_version = $2), 0) - coalesce(sum(amount) FILTER (WHERE model_version = $1), 0) AS delta
         FROM ledger_lines
        WHERE model_version IN ($1, $2) AND basis = $6 AND book = ANY($3) AND ${inPeriod('event_at', '$4', '$5')}
        GROUP BY book, account_id, currency, channel),
     per_account AS (
       SELECT book, account_id, currency::text AS currency, sum(abs(delta)) AS moved,
              row_number() OVER (PARTITION BY book ORDER BY sum(abs(delta)) DESC, account_id) AS rank
         FROM per_channel GROUP BY book, account_id, currency)
     SELECT book, account_id, currency, moved::numeric(18,4)::text AS moved FROM per_account
      WHERE rank <= $7 AND moved > 0 ORDER BY book, rank`,
    [...params, input.topAccounts ?? 10],
  );

  const csv = ['book,channel,currency,old_revenue,new_revenue,delta,delta_pct',
    ...rows.map((r) => [r.book, r.channel, r.currency, r.oldRevenue, r.newRevenue, r.delta, r.deltaPct].join(','))].join('\n') + '\n';
  const text: string[] = [
    `Replay diff: ${input.oldModelVersion} → ${input.newModelVersion}`,
    `Period: ${input.from} to ${input.to} (exclusive)`,
    '',
  ];
  for (const book of input.books) {
    text.push(`${book}:`);
    const changed = rows.filter((r) => r.book === book && r.delta !== '0.0000');
    if (changed.length === 0) text.push('  no channel changed');
    for (const r of changed) text.push(`  ${r.channel} ${r.currency}: ${r.oldRevenue} → ${r.newRevenue} (${r.delta.startsWith('-') ? '' : '+'}${r.delta}${r.deltaPct ? `, ${r.deltaPct} %` : ''})`);
    const top = movers.rows.filter((m) => m.book === book);
    if (top.length) text.push(`  accounts that moved most: ${top.map((m) => `${m.account_id} (${m.moved} ${m.currency})`).join(', ')}`);
    text.push('');
  }
  fs.mkdirSync(input.outDir, { recursive: true });
  for (const [name, content] of [[REPLAY_DIFF_CSV, csv], [REPLAY_DIFF_TXT, text.join('\n')]] as const) {
    const target = path.join(input.outDir, name);
    fs.writeFileSync(`${target}.partial`, content);
    fs.renameSync(`${target}.partial`, target);
  }
  return { outDir: input.outDir, files: [REPLAY_DIFF_CSV, REPLAY_DIFF_TXT], rows: rows.length };
}
