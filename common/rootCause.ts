// The root cause of a failure: the deepest message of its cause chain (WorkflowFailedError →
// ChildWorkflowFailure → ActivityFailure → ApplicationFailure), which is what a person needs to
// read ("Dataset directory … does not exist"), never the wrappers ("Workflow execution failed").
// Workflow-safe: no imports.

interface WithCause {
  message?: unknown;
  cause?: unknown;
}

/** The deepest non-empty message along `.cause`; the error's own message when it has no cause. */
export function rootCauseMessage(error: unknown): string {
  let deepest = describe(error);
  let current: unknown = error;
  for (let depth = 0; depth < 20 && isObject(current); depth++) {
    const message = describe(current);
    if (message) deepest = message;
    current = (current as WithCause).cause;
  }
  return deepest || 'unknown error';
}

function describe(error: unknown): string {
  if (isObject(error) && typeof (error as WithCause).message === 'string') return ((error as WithCause).message as string).trim();
  return typeof error === 'string' ? error : '';
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}
