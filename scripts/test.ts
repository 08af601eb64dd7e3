// `npm test` (after type checking and lint): runs every test file with node's test runner against
// a throwaway stack (scripts/throwawayStack.ts). `npx tsx scripts/test.ts FILE...` runs some.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../common/config';
import { withThrowawayStack } from './throwawayStack';

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'helpers' || entry.name === 'fixtures' ? [] : testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : testFiles(path.join(PROJECT_ROOT, 'test')).sort();

process.exitCode = await withThrowawayStack(
  (stack) =>
    new Promise<number>((resolve) => {
      const env = {
        ...process.env,
        DATABASE_URL: stack.databaseUrl,
        TEMPORAL_ADDRESS: stack.temporalAddress,
        TEMPORAL_NAMESPACE: stack.namespace,
        ...(stack.temporalCliPath ? { TEMPORAL_CLI_PATH: stack.temporalCliPath } : {}),
      };
      const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { env, stdio: 'inherit', cwd: PROJECT_ROOT });
      child.once('close', (code) => resolve(code ?? 1));
    }),
);
