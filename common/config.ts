// The one place that reads process.env. Everything else receives a parsed Config.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const port = z.coerce.number().int().min(1).max(65535);

const EnvSchema = z.object({
  DATABASE_URL: z.string().min(1).optional(),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('attribution'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('revenue-attribution'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  ATTRIBUTION_HOME: z.string().min(1).optional(),
  ATTRIBUTION_PG_PORT: port.optional(),
  ATTRIBUTION_TEMPORAL_PORT: port.optional(),
  ATTRIBUTION_TEMPORAL_UI_PORT: port.optional(),
  ATTRIBUTION_TEMPORAL_HEADLESS: z.enum(['0', '1', 'true', 'false']).optional(),
  ATTRIBUTION_SERVE_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  XDG_CACHE_HOME: z.string().min(1).optional(),
});

export interface Config {
  /** An external Postgres; when absent the embedded one from the state folder is used. */
  databaseUrl: string | undefined;
  /** An external Temporal frontend; when absent a dev server from the state folder is used. */
  temporalAddress: string | undefined;
  namespace: string;
  taskQueue: string;
  temporalCliPath: string | undefined;
  /** State folder: embedded Postgres data, Temporal dev-server database, logs, stack.json. */
  home: string;
  /** Where the Temporal CLI build is cached, outside git and shared by all clones. */
  cacheDir: string;
  preferredPorts: { postgres: number | undefined; temporal: number | undefined; temporalUi: number | undefined };
  temporalHeadless: boolean;
  /** The token `attribution serve` requires (default: generated into the state folder). */
  serveToken: string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid environment variables:\n${problems}\nFix or unset them and try again.`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    temporalAddress: e.TEMPORAL_ADDRESS,
    namespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    temporalCliPath: e.TEMPORAL_CLI_PATH,
    home: path.resolve(e.ATTRIBUTION_HOME ?? path.join(PROJECT_ROOT, '.attribution')),
    cacheDir: path.join(e.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'revenue-attribution'),
    preferredPorts: {
      postgres: e.ATTRIBUTION_PG_PORT,
      temporal: e.ATTRIBUTION_TEMPORAL_PORT,
      temporalUi: e.ATTRIBUTION_TEMPORAL_UI_PORT,
    },
    temporalHeadless: e.ATTRIBUTION_TEMPORAL_HEADLESS === '1' || e.ATTRIBUTION_TEMPORAL_HEADLESS === 'true',
    serveToken: e.ATTRIBUTION_SERVE_TOKEN,
  };
}
