// Error types and their policy, in one place. Bad input and broken invariants are non-retryable
// ApplicationFailures with a named type (retrying cannot fix them); transient database or network
// errors are thrown as they are and left to Temporal's retry policy.
import { ApplicationFailure } from '@temporalio/common';

export const ErrorType = {
  /** A data file has bad rows (strict policy) or too many rejects (quarantine policy). */
  InvalidInputFile: 'InvalidInputFile',
  /** dataset.yaml, the directory or a file's header cannot be used at all. */
  InvalidDataset: 'InvalidDataset',
  /** The ingest finished with one or more files refused. */
  IngestRejected: 'IngestRejected',
  /** A ruleset file that does not validate (unknown book or parameter, bad weights, ...). */
  InvalidRuleset: 'InvalidRuleset',
  /** A run whose parameters cannot be used (period, books, model version). */
  InvalidRun: 'InvalidRun',
  /** attributed + excluded differs from billing by more than the tolerance: the run fails loudly. */
  ReconciliationFailed: 'ReconciliationFailed',
  /** Something that must always hold did not (lines not summing to their entry, ...). */
  InvariantViolated: 'InvariantViolated',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

export function inputFailure(type: ErrorTypeName, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

/**
 * The failures that retrying cannot fix, for every activity's retry policy: the types above, and
 * the domain's own errors (domain/errors.ts), which reach Temporal under their class names.
 */
export const NON_RETRYABLE_ERROR_TYPES: ReadonlyArray<string> = [...Object.values(ErrorType), 'InvalidInputError', 'InvariantError'];
