// The one way an activity keeps its heartbeat going through a long step (a statement that runs
// for minutes, an index build): `beat` every HEARTBEAT_INTERVAL_MS until `work` settles. Frequent
// beats are cheap (the SDK throttles what it sends to the server) and let a short heartbeat
// timeout notice a dead worker quickly.
export const HEARTBEAT_INTERVAL_MS = 1000;

export async function whileHeartbeating<T>(work: () => Promise<T>, beat: () => void): Promise<T> {
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
