// One pg pool per process, made by the entry point and passed to whoever needs it.
import pg from 'pg';

// Keep NUMERIC (1700) and BIGINT (20) as strings: money never becomes a JavaScript float.
pg.types.setTypeParser(1700, (v) => v);
pg.types.setTypeParser(20, (v) => v);

export function createPool(connectionString: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'revenue-attribution' });
  // An idle client that loses its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}
