// Error types and their policy, in one place. Bad input and broken invariants are non-retryable
// ApplicationFailures with a named type (retrying cannot fix them); transient database or network
// errors are thrown as they are and left to Temporal's retry policy.
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';

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
  /** An ingest step failed in a way that is neither bad input nor known to be transient: retried, naming the file. */
  IngestUnexpected: 'IngestUnexpected',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

export function inputFailure(type: ErrorTypeName, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

/**
 * The failures that retrying cannot fix, for every activity's retry policy: the types above, and
 * the domain's own errors (domain/errors.ts), which reach Temporal under their class names.
 */
export const NON_RETRYABLE_ERROR_TYPES: ReadonlyArray<string> = [
  ...Object.values(ErrorType).filter((type) => type !== ErrorType.IngestUnexpected), 'InvalidInputError', 'InvariantError',
];

/**
 * Whether an error is worth retrying: a lost or refused connection, a server shutting down or
 * short of resources, a serialization conflict. Bad data never is.
 */
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    // SQLSTATE classes: 08 connection, 40 transaction rollback, 53 insufficient resources, 57 operator intervention, 58 system error.
    return /^(08|40|53|57|58)/.test(code);
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true; // ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT, ...
  const message = (error as Error)?.message ?? '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(message);
}

/**
 * The failure an ingest activity reports for an error it did not word itself. Transient ones are
 * rethrown as they are (Temporal retries them). What reading a file raised that no retry can fix
 * (a CSV syntax error, a line or value too large for a string, data the database refuses: SQLSTATE
 * classes 22 data exception, 23 integrity, 54 program limit) is bad input: a non-retryable
 * InvalidInputFile naming the file and, where known, the line. Anything else is unexpected: it is
 * still retried, but as a failure that names the file, so the history says where it happened.
 */
export function asInputFailure(error: unknown, fileName: string, line: number | undefined): unknown {
  if (error instanceof TemporalFailure || isTransient(error)) return error;
  const e = error as { code?: unknown; lines?: unknown; message?: unknown; name?: unknown };
  const where = typeof e.lines === 'number' ? e.lines : line;
  const at = where === undefined ? fileName : `${fileName} line ${where}`;
  const message = String(e.message ?? error).split('\n')[0]!.slice(0, 200);
  const details = { fileName, line: where ?? null };
  const badInput = error instanceof RangeError || e.name === 'CsvError' || typeof e.lines === 'number'
    || (typeof e.code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(e.code));
  if (!badInput) {
    return ApplicationFailure.create({ type: ErrorType.IngestUnexpected, message: `${at}: loading failed unexpectedly: ${message}`, nonRetryable: false, details: [details] });
  }
  const reason = error instanceof RangeError ? 'holds a line or value too large to read' : `cannot be loaded: ${message}`;
  return inputFailure(ErrorType.InvalidInputFile, `${at}: ${reason}. Correct the file and ingest it again; nothing of it was loaded.`, details);
}
