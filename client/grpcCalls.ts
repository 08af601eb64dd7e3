// Counts the Temporal client's calls in flight, so that the CLI closes its connection only once
// they have ended. The SDK retries a call that failed with UNAVAILABLE (Temporal restarting) from
// a timer; closing the channel under a pending retry made that timer throw "Channel has been shut
// down" after the command had already succeeded (docs/decisions.md, "Outages").
import { InterceptingCall, type Interceptor } from '@grpc/grpc-js';
import { defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';

/**
 * Attempts per call. The SDK's default (10, about 20 s of backoff) gave up on a run's result while
 * the dev server restarted; 45 attempts (at most 5 s apart) ride out about 3 minutes of outage.
 */
const OUTAGE_ATTEMPTS = 45;

export interface CallTracker {
  /** Put these in `Connection.connect({ interceptors })`: the counter outside the SDK's retries. */
  interceptors: Interceptor[];
  inFlight(): number;
  /** Resolves when no call is in flight, or after `timeoutMs` (then false). */
  settled(timeoutMs: number): Promise<boolean>;
}

export function trackCalls(): CallTracker {
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  const ended = () => {
    inFlight -= 1;
    if (inFlight > 0) return;
    for (const wake of waiters) wake();
    waiters = [];
  };
  // Outermost: one count per logical call, from its start to its final status after every retry.
  const counter: Interceptor = (options, nextCall) => {
    inFlight += 1;
    let counted = true;
    const endOnce = () => {
      if (!counted) return;
      counted = false;
      ended();
    };
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, { onReceiveStatus: (status, nextStatus) => { endOnce(); nextStatus(status); } });
      },
      cancel(next) {
        endOnce();
        next();
      },
    });
  };
  return {
    interceptors: [counter, makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: OUTAGE_ATTEMPTS }))],
    inFlight: () => inFlight,
    settled(timeoutMs) {
      if (inFlight === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        waiters.push(() => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    },
  };
}
