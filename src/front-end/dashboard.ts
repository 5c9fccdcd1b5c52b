/**
 * The live page's files (`/++/dashboard`): plain HTML, JavaScript and CSS in the package's
 * `dashboard/` folder — no build step, nothing fetched from elsewhere. Read once when the thread
 * registers its routes. The page reads `/metrics` (with the key the person typed, kept in the
 * tab's sessionStorage) and draws from it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  readonly path: string;
  readonly type: string;
  readonly body: Buffer;
}

export const NO_STORE = { 'cache-control': 'no-store' } as const;

const FILES: readonly (readonly [string, string, string])[] = [
  ['/++/dashboard', 'index.html', 'text/html; charset=utf-8'],
  ['/++/dashboard/dashboard.js', 'dashboard.js', 'text/javascript; charset=utf-8'],
  ['/++/dashboard/dashboard.css', 'dashboard.css', 'text/css; charset=utf-8'],
];

/** The package's `dashboard/` folder: up from this module (src/ in tests, dist/src/ when built). */
function dashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'dashboard');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error(`the dashboard's files (dashboard/index.html) are missing from the package (looked up from ${fileURLToPath(import.meta.url)})`);
    dir = up;
  }
}

export function dashboardFiles(): StaticFile[] {
  const dir = dashboardDir();
  return FILES.map(([path, file, type]) => ({ path, type, body: readFileSync(join(dir, file)) }));
}
