// Names shared by workflows, the worker, the client and the dev-server setup, defined once.
// Workflow-safe: imports nothing but @temporalio/common.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Custom search attributes: registered by `attribution stack up` and by docker-compose's admin job. */
export const SEARCH_ATTRIBUTES = {
  /** e.g. `2024-01` for a month, `2024-01..2024-06` for a range, `all..2024-07-01` for lifetime. */
  period: defineSearchAttributeKey('AttributionPeriod', SearchAttributeType.KEYWORD),
  modelVersion: defineSearchAttributeKey('ModelVersion', SearchAttributeType.KEYWORD),
  /** ingest | run | backfill | replay | scheduled */
  kind: defineSearchAttributeKey('RunKind', SearchAttributeType.KEYWORD),
  /** running | completed | failed | cancelled */
  status: defineSearchAttributeKey('RunStatus', SearchAttributeType.KEYWORD),
  dataset: defineSearchAttributeKey('Dataset', SearchAttributeType.KEYWORD),
} as const;

/** `Name=Type` pairs in the form `temporal server start-dev --search-attribute` and the CLI operator expect. */
export const SEARCH_ATTRIBUTE_REGISTRATIONS: ReadonlyArray<string> = Object.values(SEARCH_ATTRIBUTES).map(
  (key) => `${key.name}=Keyword`,
);

export type RunKind = 'ingest' | 'run' | 'backfill' | 'replay' | 'scheduled';
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** Workflow ids derived from the work, so that starting the same work twice attaches to it. */
export const workflowIds = {
  ingest: (datasetKey: string) => `ingest/${datasetKey}`,
  /** Event files by their path; an HTTP batch by the sha256 of its body (one batch, one load). */
  ingestEvents: (key: string) => `ingest-events/${key}`,
  /** One id per (model version, period, cutoff, books): the same run started twice is one run. */
  run: (modelVersion: string, period: string, asOf: string, books: ReadonlyArray<string>) =>
    `run/${modelVersion}/${period}/as-of-${asOf}/${[...books].sort().join('+')}`,
  backfill: (kind: 'backfill' | 'replay', modelVersion: string, fromMonth: string, toMonth: string, books: ReadonlyArray<string>) =>
    `${kind}/${modelVersion}/${fromMonth}..${toMonth}/${[...books].sort().join('+')}`,
} as const;
