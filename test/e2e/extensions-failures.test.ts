/**
 * A broken extension is contained: a load-time failure stops the start with one line naming the
 * extension and the cause (no stack trace); a per-request failure is a 500 in the AOAI envelope
 * naming it, and the process and its threads keep serving.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { azureClient } from '../helpers/clients.js';
import { runToExit, startSimulator } from '../helpers/simulator.js';

const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-ext-fail-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('extensions that fail at start', () => {
  const cases: [string, () => string, string][] = [
    ['a missing file', () => join(dir, 'nope.ts'), 'does not exist'],
    ['a throw at load', () => file('throws-at-load.js', `throw new Error('boom at load');\n`), 'loading it failed: boom at load'],
    ['a throw in initialize', () => file('throws-in-init.mjs', `export function initialize() { throw new Error('boom in initialize'); }\n`), 'initialize(api) failed: boom in initialize'],
    ['no initialize', () => file('no-init.js', `export const x = 1;\n`), 'exports no initialize(api) function'],
    ['the wrong API version', () => file('wrong-version.js', `export const apiVersion = 99;\nexport function initialize() {}\n`), 'needs extension API version 99'],
    ['a TypeScript syntax error', () => file('broken.ts', `export function initialize(api: ) {}\n`), 'does not compile'],
    ['a bad chain placement', () => file('bad-place.js', `export default (api) => api.generators.add(() => undefined, { before: 'nothing' });\n`), 'no generator named "nothing"'],
  ];
  for (const [what, make, message] of cases) {
    it(`stops with one clear line for ${what}`, async () => {
      const path = make();
      const run = await runToExit({ EXTENSION_PATH: path });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('EXTENSION_PATH');
      expect(run.stderr).toContain(message);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(run.stdout).not.toContain('listening');
    });
  }

  it('names a folder without an index file', async () => {
    const folder = join(dir, 'empty-folder');
    mkdirSync(folder, { recursive: true });
    const run = await runToExit({ EXTENSION_PATH: folder });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the folder ${folder} has no index.ts`);
  });
});

describe('extensions that fail per request', () => {
  it('answers 500 extension_error naming the extension, logs the stack, and keeps serving', async () => {
    const path = file(
      'flaky.ts',
      `import type { ExtensionApi } from 'aoai-simulated-api/extension';
export function initialize(api: ExtensionApi): void {
  api.generators.add((request) => {
    if (request.path === '/throws') throw new Error('generator exploded');
    if (request.path === '/rejects') return Promise.reject(new Error('async generator exploded'));
    if (request.path === '/garbage') return 42 as never;
    if (request.path === '/bad-status') return { status: 9000, headers: {}, body: '' };
    if (request.path === '/unknown-limiter') return { status: 200, headers: {}, body: 'x', limiter: 'nope' };
    if (request.path === '/async-ok') return new Promise((resolve) => setTimeout(() => resolve(api.json(200, { ok: true })), 10));
    return undefined;
  }, { name: 'flaky' });
  api.requestHooks.add((request) => {
    if (request.path === '/hook-throws') throw new Error('request hook exploded');
  });
  api.responseHooks.add((request, response) => {
    if (request.path === '/response-hook-throws') throw new Error('response hook exploded');
    if (request.path === '/response-hook-garbage') return 'nonsense' as never;
  });
}
`,
    );
    const sim = await startSimulator({ EXTENSION_PATH: path });
    try {
      const expectFailure = async (route: string, detail: string): Promise<void> => {
        const res = await fetch(sim.url + route, { method: 'POST', headers: { 'api-key': sim.apiKey }, body: 'x' });
        expect(res.status, route).toBe(500);
        const body = (await res.json()) as { error: { code: string; type: string; message: string } };
        expect(body.error.code).toBe('extension_error');
        expect(body.error.message).toContain('extension flaky failed');
        expect(body.error.message).toContain(detail);
      };
      await expectFailure('/throws', 'generator "flaky": generator exploded');
      await expectFailure('/rejects', 'async generator exploded');
      await expectFailure('/garbage', 'returned garbage: expected a response object');
      await expectFailure('/bad-status', 'status must be a whole number from 100 to 599');
      await expectFailure('/unknown-limiter', 'no such limiter');
      await expectFailure('/hook-throws', 'request hook: request hook exploded');
      await expectFailure('/response-hook-throws', 'response hook: response hook exploded');
      await expectFailure('/response-hook-garbage', 'response hook: returned garbage');
      // Many failures later, on every thread: the process still serves, async answers too.
      const failures = await Promise.all(Array.from({ length: 10 }, () => fetch(`${sim.url}/throws`, { method: 'POST', body: 'x' })));
      expect(failures.every((r) => r.status === 500)).toBe(true);
      const ok = await fetch(`${sim.url}/async-ok`, { method: 'POST', body: 'x' });
      expect(await ok.json()).toEqual({ ok: true });
      const chat = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
      expect(chat.usage!.completion_tokens).toBe(2);
      expect(sim.stderr()).toContain('generator exploded');
      expect(sim.stderr()).toMatch(/flaky\.ts:\d+/); // the stack points at the extension's own .ts lines (source map)
      expect(sim.stderr()).not.toContain('exited');
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });
});
