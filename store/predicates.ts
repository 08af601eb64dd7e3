// SQL fragments that several stores put into their statements.

/** SQL expression: the shard (0 … $shardCount − 1) of an account, a stable hash of its id. */
export const shardOf = (column: string, shardCountParam: string) => `(hashtext(${column}) & 2147483647) % ${shardCountParam}`;

/** SQL predicate: the instant lies in the run's period [from, to); from NULL means unbounded. */
export const inPeriod = (column: string, fromParam: string, toParam: string) =>
  `(${fromParam}::timestamptz IS NULL OR ${column} >= ${fromParam}::timestamptz) AND ${column} < ${toParam}::timestamptz`;
