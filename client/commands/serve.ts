// attribution serve [--port N] [--host H] [--token T] [--require-token] [--retain-days N] [--rate-limit N]:
// the HTTP entry for billing streams (client/server/eventsServer.ts; docs/decisions.md, "serve").
import { InvalidArgumentError, type Command } from 'commander';
import { readOrCreateServeToken, serveTokenFile } from '../server/auth';
import { DEFAULT_RATE_LIMIT, DEFAULT_RETAIN_DAYS, startEventsServer } from '../server/eventsServer';
import { withSession } from '../session';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) throw new InvalidArgumentError(`must be a port number 0..65535 (got "${value}")`);
  return port;
}

function parseWhole(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number ${min}..${max} (got "${value}")`);
    return n;
  };
}

function parseToken(value: string): string {
  if (!/^[\x21-\x7e]{16,512}$/.test(value)) throw new InvalidArgumentError('must be 16 to 512 printable characters without spaces');
  return value;
}

interface ServeOptions { port: number; host: string; token?: string; requireToken?: boolean; retainDays: number; rateLimit: number }

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('accept batches of events over HTTP (POST /v1/events, NDJSON or a JSON array): validated whole, stored durably, then acknowledged; ingestion runs asynchronously')
    .option('--port <port>', 'port to listen on', parsePort, 8787)
    .option('--host <host>', 'address to listen on (beyond loopback every request needs the token)', '127.0.0.1')
    .option('--token <token>', 'the bearer token to require (default: ATTRIBUTION_SERVE_TOKEN, else the one generated into the state folder)', parseToken)
    .option('--require-token', 'require the token on loopback too')
    .option('--retain-days <days>', 'delete the bodies of loaded batches this many days after they arrived', parseWhole(1, 36_500), DEFAULT_RETAIN_DAYS)
    .option('--rate-limit <perMinute>', 'requests a minute per client address (bursts of a quarter of it)', parseWhole(1, 1_000_000), DEFAULT_RATE_LIMIT.perMinute)
    .action(async (options: ServeOptions) => {
      await withSession(async (session) => {
        const given = options.token ?? session.config.serveToken;
        const token = given ?? readOrCreateServeToken(session.config.home);
        const server = await startEventsServer({
          pool: session.pool, client: session.client, taskQueue: session.config.taskQueue, port: options.port, host: options.host,
          token, requireToken: options.requireToken, retainDays: options.retainDays,
          rateLimit: { perMinute: options.rateLimit, burst: Math.max(1, Math.ceil(options.rateLimit / 4)) },
        });
        console.log(`Accepting events at ${server.url}/v1/events (Ctrl-C to stop)`);
        const where = given ? 'the one given' : `in ${serveTokenFile(session.config.home)}, readable by you only`;
        console.log(`Token: ${where}; send "Authorization: Bearer <token>"${server.tokenRequired ? ' (required)' : ' (optional on loopback; a wrong one is refused)'}`);
        console.log(`Loaded batches' bodies are kept ${options.retainDays} day(s); at most ${options.rateLimit} requests a minute per client.`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await server.close();
      }, { worker: true });
    });
}
