// Finds the Temporal CLI, or builds it once with Go. This machine cannot download release
// binaries, and v1.5.1 is the last tag that `go install` accepts (later tags carry `replace`
// directives), so the build is cached outside git and shared by every clone of the project.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../common/config';
import { findOnPath, isExecutable, isProcessAlive } from './processes';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const MODULE = `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`;

export type Log = (line: string) => void;

export async function findOrBuildTemporalCli(config: Config, log: Log): Promise<string> {
  if (config.temporalCliPath) {
    if (!isExecutable(config.temporalCliPath)) {
      throw new Error(`TEMPORAL_CLI_PATH=${config.temporalCliPath} is not an executable file. Point it at a Temporal CLI binary or unset it.`);
    }
    return config.temporalCliPath;
  }
  const onPath = findOnPath('temporal');
  if (onPath) return onPath;
  const cached = cachedCliPath(config);
  if (isExecutable(cached)) return cached;
  return buildWithGo(config, cached, log);
}

export function cachedCliPath(config: Config): string {
  return path.join(config.cacheDir, `temporal-cli-${TEMPORAL_CLI_VERSION}`, 'temporal');
}

async function buildWithGo(config: Config, target: string, log: Log): Promise<string> {
  const go = findOnPath('go');
  if (!go) {
    throw new Error(
      'The Temporal CLI is needed to start a local Temporal server, and none was found.\n' +
        'Do one of these:\n' +
        `  - install Go (1.22 or later) so that the project can build it: go install ${MODULE}\n` +
        '  - put a `temporal` binary on PATH, or set TEMPORAL_CLI_PATH=/path/to/temporal\n' +
        '  - or use an existing cluster: TEMPORAL_ADDRESS=host:7233',
    );
  }
  const binDir = path.dirname(target);
  fs.mkdirSync(binDir, { recursive: true });
  const lockDir = `${binDir}.lock`;
  if (!tryLock(lockDir)) {
    log(`Another process is building the Temporal CLI (${lockDir}); waiting for it...`);
    while (fs.existsSync(lockDir) && !isExecutable(target)) {
      if (!isProcessAlive(lockOwner(lockDir))) fs.rmSync(lockDir, { recursive: true, force: true }); // a build that died
      else await new Promise((r) => setTimeout(r, 2000));
    }
    if (isExecutable(target)) return target;
    if (!tryLock(lockDir)) throw new Error(`Could not take the build lock ${lockDir}; remove it if no build is running.`);
  }
  try {
    log(`Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with Go (once; about 4-5 minutes from cold caches) into ${binDir}`);
    const started = Date.now();
    let packages = 0;
    let lastReport = 0;
    await new Promise<void>((resolve, reject) => {
      // -v prints each package as it is compiled: that is our progress indicator.
      const child = spawn(go, ['install', '-v', MODULE], {
        env: { ...process.env, GOBIN: binDir, CGO_ENABLED: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let tail = '';
      const onData = (d: Buffer) => {
        const text = d.toString();
        tail = (tail + text).slice(-4000);
        packages += text.split('\n').filter((l) => l.trim() && !l.startsWith('go: downloading')).length;
        if (Date.now() - lastReport > 10_000) {
          lastReport = Date.now();
          log(`  ... ${Math.round((Date.now() - started) / 1000)} s, ${packages} packages compiled`);
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`go install ${MODULE} failed (exit ${code}):\n${tail}`))));
    });
    log(`Temporal CLI built in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
    return target;
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

function tryLock(lockDir: string): boolean {
  try {
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
    return true;
  } catch {
    return false;
  }
}

function lockOwner(lockDir: string): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8')) || undefined;
  } catch {
    return undefined;
  }
}
