// The headless Chromium that the report tests and the README screenshot use: Debian's
// `chromium` package. When it is missing, it is installed with apt-get (as root, which CI and
// the development machines are); when that is impossible the error says what to install. Never
// a silent skip: a test that needs the browser fails without it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): string {
  const found = () => CANDIDATES.find((p) => fs.existsSync(p));
  const existing = found();
  if (existing) return existing;
  if (process.getuid?.() !== 0) {
    throw new Error('Chromium is not installed and this user cannot install it: run `sudo apt-get install -y chromium` (Debian/Ubuntu).');
  }
  log('Chromium is missing: installing the Debian package `chromium` (apt-get install -y chromium) ...');
  const apt = (args: string[]) => execFileSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    apt(['install', '-y', '--no-install-recommends', 'chromium']);
  } catch {
    apt(['update']); // a fresh machine has no package lists yet
    apt(['install', '-y', '--no-install-recommends', 'chromium']);
  }
  const installed = found();
  if (!installed) throw new Error('apt-get installed chromium, but no chromium binary is in /usr/bin.');
  return installed;
}

/** Arguments for a headless run as root in a container: no sandbox, no GPU, nothing fetched. */
export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking', '--disable-component-update'];
