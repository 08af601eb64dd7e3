// The peer step of the bench (docs/benchmark.md, "The DuckDB peer"): the same lifetime analysis
// in DuckDB over the same CSVs, its channel totals checked against every mode's ledger, and the
// ratio engine end to end (ingest + lifetime run) ÷ peer, all from one bench run.
import fs from 'node:fs';
import { parseRuleset } from '../../domain/ruleset';
import { compareTotals, runDuckdbPeer, type ChannelTotal, type PeerStep } from './duckdb';

export const PEER_NAMES = ['duckdb'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

export interface PeerComparison {
  mode: string;
  /** Engine end to end ÷ peer seconds. */
  ratio: number;
  /** (book, channel, currency) totals that differ; empty when they agree exactly. */
  differences: string[];
}

export interface PeerFigures {
  name: PeerName;
  seconds: number;
  steps: PeerStep[];
  /** How many (book, channel, currency) totals the peer computed. */
  totals: number;
  comparisons: PeerComparison[];
}

export interface ModeTotals {
  mode: string;
  endToEndSeconds: number;
  channelTotals: ReadonlyArray<ChannelTotal>;
}

export async function runPeer(
  name: PeerName, run: { datasetDir: string; asOf: string; rulesetFile: string }, modes: ReadonlyArray<ModeTotals>,
): Promise<PeerFigures> {
  const ruleset = parseRuleset(fs.readFileSync(run.rulesetFile, 'utf8'), run.rulesetFile);
  const result = await runDuckdbPeer({ datasetDir: run.datasetDir, asOf: run.asOf, ruleset });
  return {
    name, seconds: result.seconds, steps: result.steps, totals: result.totals.length,
    comparisons: modes.map((m) => ({
      mode: m.mode, ratio: m.endToEndSeconds / result.seconds, differences: compareTotals(m.channelTotals, result.totals),
    })),
  };
}
