// The root cause of a failure, for the one line a user reads (docs/cli-and-worker.md, "CLI
// conventions"). Temporal wraps what went wrong in layers: WorkflowFailedError → ChildWorkflowFailure
// (a backfill's month) → ActivityFailure → ApplicationFailure "Dataset directory … does not exist".
// Only the deepest message says what to do, so that is the one we print.
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';

export interface RootCause {
  message: string;
  /** ApplicationFailure's type (e.g. InvalidDataset), or the failure class: Cancelled, Terminated, Timeout. */
  type: string | undefined;
  cancelled: boolean;
}

/** The deepest error with a message along the `cause` chain (at most 20 links deep). */
export function rootCause(error: unknown): RootCause {
  let deepest: unknown = error;
  let current: unknown = error;
  for (let depth = 0; depth < 20 && current instanceof Error && current.cause !== undefined; depth++) {
    current = current.cause;
    if (current instanceof Error && current.message) deepest = current;
  }
  if (!(deepest instanceof Error)) return { message: String(deepest), type: undefined, cancelled: false };
  return { message: describe(deepest), type: failureType(deepest), cancelled: deepest instanceof CancelledFailure };
}

function describe(error: Error): string {
  if (error instanceof TimeoutFailure) return `${error.message} (${timeoutName(error)})`;
  return error.message;
}

function timeoutName(error: TimeoutFailure): string {
  return `${(error.timeoutType ?? 'unspecified').toLowerCase().replaceAll('_', '-')} timeout`;
}

function failureType(error: Error): string | undefined {
  if (error instanceof ApplicationFailure) return error.type ?? undefined;
  if (error instanceof CancelledFailure) return 'Cancelled';
  if (error instanceof TerminatedFailure) return 'Terminated';
  if (error instanceof TimeoutFailure) return 'Timeout';
  return undefined;
}

/** The root cause's message: what the CLI prints after "Run failed:", "Backfill failed:" and the like. */
export function failureMessage(error: unknown): string {
  return rootCause(error).message;
}
