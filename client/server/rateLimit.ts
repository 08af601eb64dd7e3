// A token bucket per client address: `perMinute` requests a minute on average, bursts of up to
// `burst`. At most `maxClients` addresses are tracked (the least recently seen is forgotten), so
// the table itself is bounded. A refused request gets 429 with Retry-After in whole seconds.
export interface RateLimitOptions {
  perMinute: number;
  burst: number;
  maxClients?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export function rateLimiter(options: RateLimitOptions, now: () => number = Date.now): (client: string) => RateDecision {
  const buckets = new Map<string, Bucket>();
  const maxClients = options.maxClients ?? 10_000;
  const perMs = options.perMinute / 60_000;
  return (client) => {
    const t = now();
    const previous = buckets.get(client);
    const bucket = previous
      ? { tokens: Math.min(options.burst, previous.tokens + (t - previous.at) * perMs), at: t }
      : { tokens: options.burst, at: t };
    buckets.delete(client); // re-insert: the Map's order is least recently seen first
    if (buckets.size >= maxClients) buckets.delete(buckets.keys().next().value!);
    if (bucket.tokens < 1) {
      buckets.set(client, bucket);
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    }
    buckets.set(client, { tokens: bucket.tokens - 1, at: t });
    return { ok: true };
  };
}
