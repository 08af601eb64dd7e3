// attribution serve [--port N] [--host H]: the HTTP entry for billing streams (client/server/eventsServer.ts).
import { InvalidArgumentError, type Command } from 'commander';
import { startEventsServer } from '../server/eventsServer';
import { withSession } from '../session';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) throw new InvalidArgumentError(`must be a port number 0..65535 (got "${value}")`);
  return port;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('accept batches of events over HTTP (POST /v1/events, NDJSON or a JSON array): validated whole, stored durably, then acknowledged; ingestion runs asynchronously')
    .option('--port <port>', 'port to listen on', parsePort, 8787)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(async (options: { port: number; host: string }) => {
      await withSession(async (session) => {
        const server = await startEventsServer({ pool: session.pool, client: session.client, taskQueue: session.config.taskQueue, port: options.port, host: options.host });
        console.log(`Accepting events at ${server.url}/v1/events (Ctrl-C to stop)`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
      }, { worker: true });
    });
}
