/**
 * Where no uWebSockets.js build loads, the simulator stops at start with one line that says what
 * would work. Made real with a copy of the built simulator whose node_modules has every package but
 * the two builds (as in an image pruned for another Node.js).
 */
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILDS } from 'uWebSockets.js/build';
import { runToExit } from '../helpers/simulator.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let copy: string;

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'aoai-sim-no-uws-'));
  cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'));
  cpSync(join(ROOT, 'dist/src'), join(copy, 'dist/src'), { recursive: true });
  const builds = new Set(BUILDS.map((b) => b.alias));
  mkdirSync(join(copy, 'node_modules'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (builds.has(name) || name === 'uWebSockets.js' || name.startsWith('.')) continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(copy, 'node_modules', name));
  }
  // A copy, not a link: a link would find the builds from the checkout's node_modules.
  cpSync(join(ROOT, 'packages/uWebSockets.js'), join(copy, 'node_modules/uWebSockets.js'), { recursive: true });
});

afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('no uWebSockets.js build loads', () => {
  it('stops at start with one line naming this Node.js and what would work', async () => {
    const { code, stdout, stderr } = await runToExit({}, 30_000, join(copy, 'dist/src/main.js'));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`aoai-simulated-api: Node.js ${process.versions.node} on ${process.platform}-${process.arch}`);
    expect(lines[0]).toContain('loads no uWebSockets.js build; what works: Node 20.19+, 22.12+, 24 or 25');
    if (process.platform === 'linux') expect(lines[0]).toContain('glibc ≥ 2.38 (Debian 13, Ubuntu 24.04); Node 20.19+ with glibc ≥ 2.34');
  });
});
