/**
 * Fault sequences and schedules shared across replicas: two simulator processes on one
 * real Redis (test/helpers/redis.ts). A schedule "429, 429, then ok" and a looping one give exactly
 * their sequence across requests alternated between the two; a seeded rate run gives, request for
 * request, the faults of the one sequence the seed defines (computed here from core's pure draw),
 * and a second run the same again. With Redis stopped, a request is still answered (from the
 * replica's own cursor) within the store's timeout, and the log says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultConfig } from '../../src/core/faults/config.js';
import { pick } from '../../src/core/faults/select.js';
import { API_VERSION } from '../helpers/clients.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';
import { patchConfig, startSimulator, type Simulator } from '../helpers/simulator.js';

let redis: RedisServer;
const sims: Simulator[] = [];
const key = `fault-scale-${Math.random().toString(36).slice(2)}`;

const FAULTS = {
  seed: 5,
  scenarios: {
    'twice-429': { schedule: ['429', '429', 'ok'], on_exhausted: 'ok' },
    'loop-3': { schedule: ['500', '503', 'ok'], on_exhausted: 'loop' },
  },
};
const RATES = { seed: 99, scenarios: { flaky: { rates: { '500': 0.3, '503': 0.2 } } } };

beforeAll(async () => {
  redis = await startRedis();
  const env = {
    SIMULATOR_API_KEY: key,
    SIMULATOR_REDIS_URL: redis.socket,
    SIMULATOR_REDIS_PREFIX: 'test-fault-scale:',
    SIMULATOR_THREADS: '2',
    SIMULATOR_REDIS_TIMEOUT_MS: '1500',
    SIMULATOR_FAULTS: JSON.stringify(FAULTS),
  };
  // One after the other: the first stores the shared configuration, the second takes it.
  sims.push(await startSimulator({ ...env, SIMULATOR_REPLICA_NAME: 'a' }));
  sims.push(await startSimulator({ ...env, SIMULATOR_REPLICA_NAME: 'b' }));
});
afterAll(async () => {
  for (const sim of sims) expect(await sim.stop()).toBe(0);
  await redis.stop();
});

/** One chat request on a connection of its own (so either thread of the process may take it); its status. */
async function status(sim: Simulator, scenario: string): Promise<number> {
  const res = await fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json', connection: 'close', 'x-simulator-scenario': scenario },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    signal: AbortSignal.timeout(10_000), // never hang on the store
  });
  await res.text();
  return res.status;
}

/** `n` requests, one at a time, alternated a, b, a, b … */
async function alternated(scenario: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await status(sims[i % 2]!, scenario));
  return out;
}

describe('fault sequences across replicas on Redis', () => {
  it('"429, 429, then ok" holds across the two replicas', async () => {
    expect(await alternated('twice-429', 6)).toEqual([429, 429, 200, 200, 200, 200]);
  });

  it('a looping schedule gives exactly its sequence across requests alternated between them', async () => {
    expect(await alternated('loop-3', 9)).toEqual([500, 503, 200, 500, 503, 200, 500, 503, 200]);
  });

  it('seeded rates: the pair draws the one sequence the seed defines, and a second run the same', async () => {
    // What one shared sequence gives for ordinals 0, 1, 2 …: core's pure draw over the same configuration.
    const scope = parseFaultConfig(RATES)!.scenarios.flaky!;
    const expected = Array.from({ length: 40 }, (_, i) => Number(pick(scope, RATES.seed, i)?.name ?? 200));
    expect(expected.filter((s) => s !== 200).length).toBeGreaterThan(5);
    const run = async (on: Simulator): Promise<number[]> => {
      // A new fault configuration (on either replica) starts every sequence afresh on both.
      expect((await patchConfig(on, { faults: RATES })).status).toBe(200);
      return alternated('flaky', 40);
    };
    expect(await run(sims[0]!)).toEqual(expected);
    expect(await run(sims[1]!)).toEqual(expected);
  });

  it('a patch of something else keeps the sequences going; GET /++/config shows the faults as written on both', async () => {
    expect((await patchConfig(sims[0]!, { faults: FAULTS })).status).toBe(200);
    expect(await alternated('loop-3', 2)).toEqual([500, 503]);
    expect((await patchConfig(sims[1]!, { latency: { open_ai_chat_completions: { mean: 0, std_dev: 0 } } })).status).toBe(200);
    expect(await alternated('loop-3', 4)).toEqual([200, 500, 503, 200]);
    for (const sim of sims) {
      const config = (await (await fetch(`${sim.url}/++/config`, { headers: { 'api-key': key } })).json()) as { faults: Record<string, unknown> };
      expect(config.faults).toEqual({ ...FAULTS, allow_headers: false });
    }
  });

  it('with Redis stopped, requests are still answered from the replica’s own cursors, and the log says so', async () => {
    await redis.stop();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await status(sims[0]!, 'loop-3'));
    // Answered (a fault of the schedule or ok), never hung: each within the test's 10 s abort.
    for (const s of statuses) expect([200, 500, 503]).toContain(s);
    expect(sims[0]!.stderr()).toMatch(/fault sequences and schedules drawn from this replica's own cursors/);
  });
});
