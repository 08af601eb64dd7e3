// `npm run worker`: a long-running worker for real deployments. It talks to TEMPORAL_ADDRESS and
// DATABASE_URL when set (docker-compose sets both); without them it uses the local stack, starting
// it if needed, so `npm run worker` also works beside `attribution stack up`. Several of these
// processes can serve the same task queue and share the work. The resident worker of the
// embedded default is this same program, run by worker/supervise.ts with both addresses set. It
// survives outages: a lost Postgres connection fails an activity (retried), and a worker that
// gives up while Temporal is away is replaced once Temporal answers again (worker/resilientWorker.ts).
import { loadConfig } from '../common/config';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { stackUp } from '../stack';
import { createWorker } from './createWorker';
import { runWorkersForever } from './resilientWorker';

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const config = loadConfig();
  const endpoints = await stackUp(config, log, { residentWorker: false }); // it is a worker itself
  const pool = createPool(endpoints.databaseUrl, 12);
  await migrate(pool);
  let announced = false;
  try {
    await runWorkersForever({
      address: endpoints.temporalAddress,
      log,
      make: async (connection) => {
        const worker = await createWorker({ connection, namespace: endpoints.namespace, taskQueue: config.taskQueue, pool, maxConcurrentActivities: 8 });
        log(`Worker ${announced ? 'serving again' : 'serving'} task queue "${config.taskQueue}" in namespace "${endpoints.namespace}" at ${endpoints.temporalAddress}`);
        announced = true;
        return worker; // runs until SIGINT/SIGTERM, which the SDK turns into a graceful shutdown
      },
    });
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(`worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
