// A chart of the HTML report: a Vega-Lite specification, what it shows in words (the SVG's
// <title> and <desc>), the table printed under it, and how many data marks its SVG must hold
// (the browser test counts them). Pure: building a chart never renders it (render.ts does).
import type { TopLevelSpec } from 'vega-lite';

export interface DataTable {
  /** The CSV file whose rows this table repeats, cell for cell (its header names are that file's columns). */
  csv: string | null;
  /** When rows come from different files (one per book): the file of each row. */
  rowCsv?: string[];
  header: string[];
  rows: string[][];
}

export interface Chart {
  id: string;
  title: string;
  description: string;
  spec: TopLevelSpec;
  /** The Vega mark type of the data marks (`rect` for bars, `symbol` for points) and how many there are. */
  marks: { type: 'rect' | 'symbol'; count: number };
  table: DataTable;
}

/**
 * Plot values only: a chart's bar heights come from a JS number made from the exact decimal text.
 * Every number a reader sees (tables, CSVs, tooltips) is the exact text, never this number.
 */
export const plotNumber = (decimalText: string): number => Number(decimalText);

export const CHART_WIDTH = 560;

/** The palette is fixed so that the same book or channel has the same colour in every chart. */
export const BOOK_COLOURS = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac', '#eeca3b', '#000000'];

/** What every chart shares. No $schema URL: nothing in the report refers to the network. */
export function baseSpec(description: string): Pick<TopLevelSpec, 'description' | 'config' | 'background'> {
  return {
    description,
    background: 'white',
    config: { font: 'sans-serif', axis: { labelLimit: 180 }, legend: { labelLimit: 220 } },
  };
}
