// Instants in COPY text, fast: a ledger write formats one instant per decision, and
// Date#toISOString was about a third of that formatting time (bench/results.md, ledger v3).

const DAY = 86_400_000;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Returns `(ms) => new Date(ms).toISOString()` for whole epoch milliseconds, formatting the day's
 * part once per day seen: the instants of one write mostly share a few days.
 */
export function instantFormatter(): (ms: number) => string {
  const days = new Map<number, string>();
  return (ms) => {
    const day = Math.floor(ms / DAY);
    let prefix = days.get(day);
    if (prefix === undefined) {
      const iso = new Date(day * DAY).toISOString();
      days.set(day, (prefix = iso.slice(0, iso.indexOf('T') + 1))); // years past 9999 have six digits and a sign
    }
    const t = ms - day * DAY;
    return `${prefix}${pad(Math.floor(t / 3_600_000), 2)}:${pad(Math.floor(t / 60_000) % 60, 2)}:${pad(Math.floor(t / 1000) % 60, 2)}.${pad(t % 1000, 3)}Z`;
  };
}
