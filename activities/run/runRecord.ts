// A run as stored, with its ruleset parsed, and the SQL fragments the run activities share: they
// live in the store (store/runs.ts, store/predicates.ts); these names are kept for the context
// activities that import them from here.
export { loadRun, type RunRecord } from '../../store/runs';
export { inPeriod, shardOf } from '../../store/predicates';
