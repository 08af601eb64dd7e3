// Every ordering in the domain compares strings by UTF-16 code units, never with localeCompare:
// the result must not depend on the locale or ICU version of the machine that runs it, because
// ledger rows written by different workers have to agree.
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
