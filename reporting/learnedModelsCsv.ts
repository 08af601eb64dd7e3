// The exports of what the data-driven books learned (docs/data-driven-books.md):
// markov_removal_effects.csv (channel, removal_effect, conversions) and shapley_values.csv
// (coalition, journeys, conversion_rate, then one column per channel with its Shapley value in
// that coalition, empty when the channel is not in it). Values are the fixed decimals the books
// weigh with (30 decimals, truncated); Shapley values before clamping at 0. Pure.
import { Rational } from '../domain/rational';
import { WEIGHT_DECIMAL_PLACES } from '../domain/markov';
import { compareStrings } from '../domain/order';

export const REMOVAL_EFFECTS_FILE_NAME = 'markov_removal_effects.csv';
export const SHAPLEY_VALUES_FILE_NAME = 'shapley_values.csv';

export interface RemovalEffectRow {
  channel: string;
  /** Decimal text as stored. */
  removalEffect: string;
  conversions: string;
}

export interface ShapleyCoalitionRow {
  channels: ReadonlyArray<string>;
  journeys: string;
  conversions: string;
  /** channel → φ (decimal text as stored) */
  values: ReadonlyMap<string, string>;
}

/** A text cell: quoted when needed, and neutralised when a spreadsheet would evaluate it. */
export function textCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function renderRemovalEffectsCsv(rows: ReadonlyArray<RemovalEffectRow>): string {
  const sorted = [...rows].sort((a, b) => compareStrings(a.channel, b.channel));
  return ['channel,removal_effect,conversions', ...sorted.map((r) => `${textCell(r.channel)},${r.removalEffect},${r.conversions}`)].join('\n') + '\n';
}

export function renderShapleyValuesCsv(rows: ReadonlyArray<ShapleyCoalitionRow>): string {
  const channels = [...new Set(rows.flatMap((r) => r.channels))].sort(compareStrings);
  const name = (r: ShapleyCoalitionRow) => [...r.channels].sort(compareStrings).join(' + ');
  // Coalitions by size, then by name: singletons first, as an analyst reads a game.
  const sorted = [...rows].sort((a, b) => a.channels.length - b.channels.length || compareStrings(name(a), name(b)));
  const lines = sorted.map((r) => {
    const rate = Rational.of(BigInt(r.conversions), BigInt(r.journeys)).toFixedDecimal(WEIGHT_DECIMAL_PLACES).toFixed(WEIGHT_DECIMAL_PLACES);
    return [textCell(name(r)), r.journeys, rate, ...channels.map((c) => r.values.get(c) ?? '')].join(',');
  });
  return [['coalition', 'journeys', 'conversion_rate', ...channels.map(textCell)].join(','), ...lines].join('\n') + '\n';
}
