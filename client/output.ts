// `--json` (docs/cli-and-worker.md, "CLI conventions"): stdout carries exactly one JSON document, the
// command's outcome, for scripts (`jq`); everything written for people (tables, progress, notes)
// goes to stderr instead, so the commands print as usual without a branch per line.

let jsonMode = false;

/** Switches this process to --json output: console.log now writes to stderr. */
export function useJsonOutput(): void {
  if (jsonMode) return;
  jsonMode = true;
  console.log = (...args: unknown[]) => console.error(...args);
}

export function isJsonOutput(): boolean {
  return jsonMode;
}

/** Writes the outcome document to stdout (only in --json mode). */
export function emitJson(value: unknown): void {
  if (jsonMode) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
