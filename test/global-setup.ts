import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureRedisServer } from './helpers/redis.js';

/**
 * Compiles src/ to dist/ so the end-to-end tests run the code under test, never a stale build;
 * and installs Debian's Chromium for the dashboard's browser test when it is missing
 * (scripts/install-test-browser.sh: apt-get as root, as CI runs).
 * installs Debian's redis-server when it is missing (the scale-out tests start real ones).
 */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  execFileSync('bash', [fileURLToPath(new URL('../scripts/install-test-browser.sh', import.meta.url))], { cwd: root, stdio: 'inherit' });
  ensureRedisServer();
}
