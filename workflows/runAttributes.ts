// The search attributes every run-like workflow sets, in one place, so that the Web UI's filters
// (RunKind, AttributionPeriod, ModelVersion, RunStatus) mean the same thing for each of them.
import type { SearchAttributePair } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';
import { SEARCH_ATTRIBUTES, type RunKind, type RunStatus } from '../common/temporalNames';

export interface RunIdentity {
  kind: RunKind;
  period: string;
  modelVersion: string;
}

/** The attributes that say what a workflow is: also given at start, so it is findable before its first task. */
export function identityAttributes(run: RunIdentity): SearchAttributePair[] {
  return [
    { key: SEARCH_ATTRIBUTES.kind, value: run.kind },
    { key: SEARCH_ATTRIBUTES.period, value: run.period },
    { key: SEARCH_ATTRIBUTES.modelVersion, value: run.modelVersion },
  ];
}

/** Marks the workflow as started: what it is, and `RunStatus = "running"`. */
export function markRunning(run: RunIdentity): void {
  upsertSearchAttributes([...identityAttributes(run), { key: SEARCH_ATTRIBUTES.status, value: 'running' }]);
}

export function setRunStatus(status: RunStatus): void {
  upsertSearchAttributes([{ key: SEARCH_ATTRIBUTES.status, value: status }]);
}
