// The error types of the domain, in one place so that the activity layer can map each one to a
// non-retryable ApplicationFailure type: none of them goes away by retrying.

/** Bad data handed to a domain function: a malformed amount, a negative weight, a bad usage row. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** Something that must always hold did not (lines not summing to their amount): a bug, never data. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/** A ruleset that cannot be used; `problems` lists every problem, the message has one per line. */
export class RulesetError extends Error {
  override readonly name = 'RulesetError';

  constructor(
    readonly sourceName: string,
    readonly problems: ReadonlyArray<string>,
  ) {
    super(problems.map((p) => `ruleset ${sourceName}: ${p}`).join('\n'));
  }
}
