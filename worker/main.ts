// `npm run worker`: a long-running worker for real deployments. It talks to TEMPORAL_ADDRESS and
// DATABASE_URL when set (docker-compose sets both); without them it uses the local stack, starting
// it if needed, so `npm run worker` also works beside `attribution stack up`. Several of these
// processes can serve the same task queue and share the work. The resident worker of the
// embedded default is this same program, run by worker/supervise.ts with both addresses set.
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../common/config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { stackUp } from '../stack';
import { createWorker } from './createWorker';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const config = loadConfig();
  const endpoints = await stackUp(config, log, { residentWorker: false }); // it is a worker itself
  const pool = createPool(endpoints.databaseUrl, 12);
  await migrate(pool);
  const connection = await NativeConnection.connect({ address: endpoints.temporalAddress });
  try {
    const worker = await createWorker({ connection, namespace: endpoints.namespace, taskQueue: config.taskQueue, pool, maxConcurrentActivities: 8 });
    log(`Worker serving task queue "${config.taskQueue}" in namespace "${endpoints.namespace}" at ${endpoints.temporalAddress}`);
    await worker.run(); // until SIGINT/SIGTERM, which the SDK turns into a graceful shutdown
  } finally {
    await connection.close();
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(`worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
