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
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

export function inputFailure(type: ErrorTypeName, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}
