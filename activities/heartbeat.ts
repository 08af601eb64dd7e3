// Heartbeats for long activities, in one module. A dead worker's activity moves to another worker
// once its heartbeat timeout (20 s, workflows/attributionRun.ts) passes without a heartbeat, so a
// live activity must heartbeat every second or so, whatever it is doing: waiting on a long SQL
// statement (a timer re-sends the last details every second) or computing (the loop yields to
// the event loop every quarter second, or neither the timer nor the SDK's sender could run).
// Frequent beats are cheap: the SDK throttles what it sends. docs/decisions.md, "Outages".
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Context } from '@temporalio/activity';

export const HEARTBEAT_INTERVAL_MS = 1000;
const YIELD_MS = 250;

/** Calls `beat` every HEARTBEAT_INTERVAL_MS until `work` settles (a long statement, an index build). */
export async function whileHeartbeating<T>(work: () => Promise<T>, beat: () => void): Promise<T> {
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs `work` in the current activity with a heartbeat every second; `beat(details)` updates what
 * the heartbeat carries (progress shown in the UI) and sends it at once. Outside an activity
 * (tests, the bench's direct mode) it only runs `work`.
 */
export async function withHeartbeat<T>(work: (beat: (details?: unknown) => void) => Promise<T>): Promise<T> {
  let context: Context | undefined;
  try {
    context = Context.current();
  } catch {
    return work(() => undefined);
  }
  let last: unknown;
  const beat = (details?: unknown) => {
    if (details !== undefined) last = details;
    context.heartbeat(last);
  };
  beat();
  return whileHeartbeating(() => work(beat), () => beat());
}

/**
 * For CPU-heavy loops: `await pace()` once per item gives the event loop a turn whenever a quarter
 * second has passed since the last one (otherwise it costs a resolved promise).
 */
export function pacer(intervalMs = YIELD_MS): () => Promise<void> {
  let since = Date.now();
  return async () => {
    if (Date.now() - since < intervalMs) return;
    await nextTurn();
    since = Date.now();
  };
}
