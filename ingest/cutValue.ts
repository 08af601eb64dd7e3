// How a value from an input file is kept in a reject and shown in an error message
// (docs/decisions.md, "Input"): cut to a readable length with the full length said, so that one
// 40 MiB cell cannot fill a terminal, a log line, the rejects table or a Temporal history.
// Messages quote it as JSON, so that a TAB or a NUL shows as \t or \u0000, not as itself.
export const SHOWN_VALUE_CHARS = 60;

export function cutText(value: string, maxChars = SHOWN_VALUE_CHARS): string {
  return value.length <= maxChars ? value : `${value.slice(0, maxChars)}... (${value.length} characters)`;
}
