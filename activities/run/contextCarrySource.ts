// Where a run's contexts may continue from (docs/decisions.md, "Contexts": incremental months):
// stored contexts as of the run's period start, built with the same context parameters, from
// input that nothing loaded since has changed before that cutoff.
import type pg from 'pg';
import { contextsAtCutoff } from '../../store/contexts';
import { fileSpansAfter, spanAffects } from '../../store/fileSpans';
import { contextIdFor } from './prepareRun';
import type { RunRecord } from '../../store/runs';

export interface CarrySource {
  contextId: string;
  /** The stored contexts' cutoff: the run's period start. */
  cutoff: number;
}

/**
 * The stored contexts to continue, or null: every account is built from all its rows. Among
 * several, the one with the most accounts (a lifetime run's covers every account that paid before
 * the cutoff, a month's run's only those with a transaction that month).
 */
export async function carrySourceFor(pool: pg.Pool, run: Pick<RunRecord, 'periodFrom' | 'asOf' | 'ruleset'>): Promise<CarrySource | null> {
  if (run.periodFrom === null || run.periodFrom >= run.asOf) return null;
  const cutoff = new Date(run.periodFrom);
  const iso = (at: Date | null) => (at === null ? null : at.toISOString());
  // The context id hashes the cutoff, the context parameters, the period and the data version:
  // recomputing it with this run's ruleset tells whether a stored context used the same parameters.
  const sameParams = (await contextsAtCutoff(pool, cutoff)).filter((c) => c.accounts > 0 &&
    c.contextId === contextIdFor(run.ruleset, { asOf: cutoff.toISOString(), from: iso(c.periodFrom), to: c.periodTo.toISOString() }, c.dataVersion));
  if (sameParams.length === 0) return null;
  // A file version loaded after a context's data version with a row before the cutoff (or one that
  // changes membership, which has no instant) would change what the stored context saw.
  const spans = await fileSpansAfter(pool, Math.min(...sameParams.map((c) => c.dataVersion)), { persist: true });
  const unchanged = sameParams.find((c) => !spans.some((s) => s.fileId > c.dataVersion && spanAffects(s, cutoff)));
  return unchanged ? { contextId: unchanged.contextId, cutoff: run.periodFrom } : null;
}
