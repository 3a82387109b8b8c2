import { spawnSync } from 'node:child_process';
import { StackError, which } from './process.js';

/**
 * The browser the console's tests drive: Debian's `chromium` package, installed by the project
 * itself when missing (the browsers `npx playwright install` downloads cannot be reached from
 * here). Needs root (CI and these machines run as root); otherwise it says what to install.
 */
export function ensureChromium(log: (msg: string) => void): string {
  const found = process.env.CHROMIUM_PATH ?? which('chromium');
  if (found) return found;
  if (process.getuid?.() !== 0)
    throw new StackError(
      'Chromium is needed for the browser tests: install Debian\'s "chromium" package (apt-get install chromium)',
    );
  log('Chromium: installing the Debian package (once)');
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let result = apt(['install', '-y', '--no-install-recommends', 'chromium']);
  // A fresh machine may have no package lists yet.
  if (result.status !== 0) {
    apt(['update']);
    result = apt(['install', '-y', '--no-install-recommends', 'chromium']);
  }
  const path = which('chromium');
  if (result.status !== 0 || !path)
    throw new StackError(
      `Chromium could not be installed: ${result.stderr?.toString().trim().split('\n').at(-1) ?? 'apt-get failed'}`,
    );
  return path;
}

/** Flags for a headless Chromium on a machine without a network beyond localhost. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
