/**
 * What a front-end thread loads and opens (docs/architecture.md, Memory): every module a thread loads is
 * resident in every thread, so the ones only some paths need stay out of the others. The
 * simulator runs with a preload (test/helpers/thread-scripts.mjs) that lists, when each
 * front-end thread exits, every script V8 parsed in it.
 * - Embedded (no SIMULATOR_REDIS_URL): no node-redis module and no `state/` module in a thread;
 *   no js-yaml (main reads and writes the recording files); of hdr-histogram-js only the
 *   histogram classes, not its WebAssembly build nor pako.
 * - On Redis (a real redis-server): the state modules are loaded, and each front-end thread opens
 *   one connection (`CLIENT LIST` counted at one and three threads), its windows, fault cursors
 *   and stored responses sharing it.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../helpers/clients.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const PRELOAD = fileURLToPath(new URL('../helpers/thread-scripts.mjs', import.meta.url));

/** Starts a simulator whose front-end threads list their scripts at exit; `scripts()` reads them once it is stopped. */
async function listed(env: Record<string, string>): Promise<{ sim: Simulator; scripts: () => string[][] }> {
  const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-scripts-'));
  const sim = await startSimulator({ ...env, NODE_OPTIONS: `--import ${PRELOAD}`, THREAD_SCRIPTS_DIR: dir });
  return { sim, scripts: () => readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8').split('\n')) };
}

async function chat(sim: Simulator): Promise<number> {
  const res = await fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`, {
    method: 'POST',
    headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.text();
  return res.status;
}

const REDIS_MODULE = /\/node_modules\/(redis|@redis\/[^/]+)\//;
const STATE_MODULE = /\/dist\/src\/state\//;

describe('an embedded simulator (no SIMULATOR_REDIS_URL)', () => {
  let scripts: string[][];
  beforeAll(async () => {
    const { sim, scripts: read } = await listed({ SIMULATOR_THREADS: '2' });
    expect(await chat(sim)).toBe(200);
    expect(await sim.stop()).toBe(0);
    scripts = read();
  });

  it('lists every front-end thread, each with the thread module and the histogram it records into', () => {
    expect(scripts).toHaveLength(2);
    for (const urls of scripts) {
      expect(urls.some((u) => u.endsWith('/dist/src/front-end/thread.js'))).toBe(true);
      expect(urls.some((u) => u.endsWith('/hdr-histogram-js/dist/Int32Histogram.js'))).toBe(true);
    }
  });

  it('loads no node-redis module and no state module in a thread', () => {
    for (const urls of scripts) {
      expect(urls.filter((u) => REDIS_MODULE.test(u))).toEqual([]);
      expect(urls.filter((u) => STATE_MODULE.test(u))).toEqual([]);
    }
  });

  it('loads neither js-yaml nor hdr-histogram-js’ WebAssembly build and pako in a thread', () => {
    for (const urls of scripts) expect(urls.filter((u) => /\/node_modules\/(js-yaml|pako)\/|\/hdr-histogram-js\/dist\/(wasm|index)/.test(u))).toEqual([]);
  });
});

describe('a simulator on Redis', () => {
  let redis: RedisServer;
  let client: ReturnType<typeof createClient>;
  beforeAll(async () => {
    redis = await startRedis();
    client = createClient({ socket: { path: redis.socket } });
    await client.connect();
  });
  afterAll(async () => {
    await client.close();
    await redis.stop();
  });

  /** Connections to the server other than this test's own. */
  const others = async (): Promise<number> => (await client.clientList()).length - 1;
  const env = (threads: number): Record<string, string> => ({ SIMULATOR_REDIS_URL: redis.socket, SIMULATOR_REDIS_PREFIX: 'test-modules:', SIMULATOR_THREADS: String(threads) });

  it('loads the state modules in each thread, and each thread opens one connection', async () => {
    const one = await listed(env(1));
    expect(await chat(one.sim)).toBe(200);
    // Main's two (commands, and the configuration channel's subscriber) and the thread's one.
    const atOne = await others();
    expect(await one.sim.stop()).toBe(0);
    for (const urls of one.scripts()) {
      expect(urls.some((u) => u.endsWith('/dist/src/state/thread-state.js'))).toBe(true);
      expect(urls.some((u) => REDIS_MODULE.test(u))).toBe(true);
    }
    await expect.poll(others, { timeout: 5_000 }).toBe(0);

    const three = await listed(env(3));
    expect(await chat(three.sim)).toBe(200);
    const atThree = await others();
    expect(await three.sim.stop()).toBe(0);
    expect(three.scripts()).toHaveLength(3);
    expect(atThree - atOne).toBe(2); // one connection per added thread
    expect(atOne).toBe(3);
  });
});
