// The workflow bundle's entry: every workflow the worker serves.
export { ingestDataset } from './ingestDataset';
export { ingestEvents } from './ingestEvents';
export { attributionRun } from './attributionRun';
export { backfill } from './backfill';
export { replay } from './replay';
export { scheduledMonthlyRun } from './scheduledMonthlyRun';
