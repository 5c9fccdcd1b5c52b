/**
 * Several simulator processes on one real Redis (test/helpers/redis.ts): one budget across them
 * under concurrent load (exact count, AOAI's 429s with retry-after-ms), one configuration (a PATCH
 * on one is what the next request on another sees), and Redis stopped mid-test (answers keep
 * coming, marked degraded, with the budget divided by the live replica count), then back (exact
 * again).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../helpers/clients.js';
import { patchConfig, startSimulator, type Simulator } from '../helpers/simulator.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

let redis: RedisServer;
const sims: Simulator[] = [];
const key = `scale-key-${Math.random().toString(36).slice(2)}`;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  const file = join(mkdtempSync(join(tmpdir(), 'aoai-sim-scale-')), 'deployments.json');
  writeFileSync(
    file,
    JSON.stringify({
      tokens: { model: 'gpt-4o', tokensPerMinute: 10_000 }, // 10 requests / 10 s, 10k tokens / 60 s
      requests: { model: 'gpt-4o', tokensPerMinute: 10_000 },
      later: { model: 'gpt-4o', tokensPerMinute: 10_000 },
      whisper: { model: 'whisper', requestsPerMinute: 3 },
    }),
  );
  env = {
    OPENAI_DEPLOYMENT_CONFIG_PATH: file,
    SIMULATOR_API_KEY: key,
    SIMULATOR_REDIS_URL: redis.socket,
    SIMULATOR_REDIS_PREFIX: 'test-scale:',
    SIMULATOR_THREADS: '2',
    SIMULATOR_ANSWER_LENGTH: 'fill',
    // The machine is shared and busy: a generous timeout, so only a stopped Redis makes decisions local.
    SIMULATOR_REDIS_TIMEOUT_MS: '3000',
  };
  sims.push(...(await Promise.all(['a', 'b'].map((name) => startSimulator({ ...env, SIMULATOR_REPLICA_NAME: name })))));
});
afterAll(async () => {
  for (const sim of sims) expect(await sim.stop()).toBe(0);
  await redis.stop();
});

const chat = (sim: Simulator, deployment: string, maxTokens: number): Promise<Response> =>
  fetch(`${sim.url}/openai/deployments/${deployment}/chat/completions?api-version=${API_VERSION}`, {
    method: 'POST',
    headers: { 'api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: maxTokens }),
    signal: AbortSignal.timeout(15_000), // never hang: the store has a timeout (3 s here)
  });

/** n requests spread round-robin over the simulators, all in flight at once. */
async function storm(targets: Simulator[], deployment: string, n: number, maxTokens: number): Promise<Response[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => chat(targets[i % targets.length]!, deployment, maxTokens)));
}

const stats = async (sim: Simulator): Promise<Record<string, unknown>> => (await (await fetch(`${sim.url}/++/stats`, { headers: { 'api-key': key } })).json()) as Record<string, unknown>;

describe('several replicas on one Redis', () => {
  it('admit exactly one 10k-TPM budget between two processes under concurrent load, with AOAI 429s and retry-after-ms', async () => {
    // 1,500 tokens each: 6 fit in 10,000 tokens; the requests rule (10 / 10 s) does not bind.
    const answers = await storm(sims, 'tokens', 30, 1_500);
    const admitted = answers.filter((r) => r.status === 200);
    const refused = answers.filter((r) => r.status === 429);
    for (const r of answers) expect(r.headers.get('x-simulator-limits')).toBeNull(); // the store decided every one
    expect(admitted).toHaveLength(6);
    expect(refused).toHaveLength(24);
    for (const r of refused) {
      const ms = Number(r.headers.get('retry-after-ms'));
      expect(ms).toBeGreaterThan(50_000); // the first admission leaves the 60 s window then
      expect(ms).toBeLessThanOrEqual(60_000);
      expect(Number(r.headers.get('retry-after'))).toBe(Math.ceil(ms / 1000));
      expect(r.headers.get('x-ratelimit-reset-tokens')).toBe(String(Math.ceil(ms / 1000)));
      expect(r.headers.get('x-simulator-limits')).toBeNull();
    }
    // Both processes admitted some (the budget is shared, not split or doubled).
    const remaining = admitted.map((r) => Number(r.headers.get('x-ratelimit-remaining-tokens'))).sort((x, y) => y - x);
    expect(remaining).toEqual([8_500, 7_000, 5_500, 4_000, 2_500, 1_000]);
    // The requests rule: 10 per 10 s across both.
    const small = await storm(sims, 'requests', 30, 10);
    expect(small.filter((r) => r.status === 200)).toHaveLength(10);
    const calls = small.filter((r) => r.status === 429);
    expect(calls).toHaveLength(20);
    for (const r of calls) {
      expect(r.headers.get('x-ratelimit-reset-requests')).not.toBeNull();
      expect(Number(r.headers.get('retry-after-ms'))).toBeLessThanOrEqual(10_000);
    }
    await Promise.all(answers.concat(small).map((r) => r.arrayBuffer()));
  });

  it('a PATCH on one process is what the next request on the other sees (GET equal everywhere; a new limit applies at once)', async () => {
    const [a, b] = sims as [Simulator, Simulator];
    const patched = await patchConfig(a, { openai_deployments: { fresh: { model: 'gpt-4o', tokens_per_minute: 2_000 } }, latency: { open_ai_embeddings: { mean: 7, std_dev: 0 } } });
    expect(patched.status).toBe(200);
    const fromA = await (await fetch(`${a.url}/++/config`, { headers: { 'api-key': key } })).text();
    const fromB = await (await fetch(`${b.url}/++/config`, { headers: { 'api-key': key } })).text();
    expect(fromB).toBe(fromA);
    expect(JSON.parse(fromB).openai_deployments.fresh).toMatchObject({ tokens_per_minute: 2_000 });
    // The next request on b is charged by the new deployment's window: 2 requests / 10 s.
    const first = await chat(b, 'fresh', 10);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('2000');
    expect((await chat(a, 'fresh', 10)).status).toBe(200);
    expect((await chat(b, 'fresh', 10)).status).toBe(429);
    // A change that leaves 'tokens' alone keeps its window (and what it has spent), everywhere.
    expect((await patchConfig(b, { latency: { open_ai_embeddings: { mean: 8, std_dev: 0 } } })).status).toBe(200);
    const still = await chat(a, 'tokens', 1_500);
    expect(still.status).toBe(429);
    expect(still.headers.get('x-ratelimit-remaining-tokens')).toBe('1000');
    const s = await stats(a);
    expect(s.shared_state).toMatchObject({ backend: 'redis', replica: 'a', store: 'up' });
    // The count is a's view of the last heartbeats (one a second, dropped after 3.5 s): on two cores
    // shared with the rest of the suite, b's beat once came late enough that a counted 1 (a fresh
    // clone's run on Node 24). b is live, so a comes to count it again.
    await expect.poll(async () => ((await stats(a)).shared_state as { live_replicas: number }).live_replicas, { timeout: 10_000 }).toBe(2);
  });

  it('three processes share one budget too (a deployment added by PATCH while the third runs)', async () => {
    sims.push(await startSimulator({ ...env, SIMULATOR_REPLICA_NAME: 'c' }));
    // The third adopted the stored configuration: it knows 'fresh', which its file does not have.
    const c = sims[2]!;
    expect(JSON.parse(await (await fetch(`${c.url}/++/config`, { headers: { 'api-key': key } })).text()).openai_deployments.fresh).toBeDefined();
    expect((await patchConfig(c, { openai_deployments: { three: { model: 'gpt-4o', tokens_per_minute: 10_000 } } })).status).toBe(200);
    const answers = await storm(sims, 'three', 45, 1_000);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(10); // 10 requests / 10 s, 10 × 1,000 tokens fit exactly
    expect(answers.filter((r) => r.status === 429)).toHaveLength(35);
    await Promise.all(answers.map((r) => r.arrayBuffer()));
  });

  it('Redis stopped: answers keep coming (local: budget ÷ live replicas, marked degraded); back: exact again', async () => {
    // The precondition: every replica's last heartbeat saw all three (on a loaded machine a late
    // beat can briefly leave one out, and the fallback would then divide by two).
    for (let seen = false; !seen; ) {
      const all = await Promise.all(sims.map(stats));
      seen = all.every((st) => (st.shared_state as { live_replicas: number }).live_replicas === 3);
      if (!seen) await new Promise((r) => setTimeout(r, 200));
    }
    await redis.stop();
    // 'later' is untouched so far: 10k TPM → ÷ 3 replicas = 3,333 tokens, 4 requests / 10 s per replica.
    const answers = await storm(sims, 'later', 30, 1_000);
    for (const r of answers) expect(r.headers.get('x-simulator-limits')).toBe('degraded');
    const perReplica = [0, 1, 2].map((i) => answers.filter((r, j) => j % 3 === i && r.status === 200).length);
    expect(perReplica).toEqual([3, 3, 3]); // 3 × 1,000 ≤ 3,333 per replica
    expect(answers.filter((r) => r.status === 429)).toHaveLength(21);
    await Promise.all(answers.map((r) => r.arrayBuffer()));
    const down = await stats(sims[0]!);
    expect(down.shared_state).toMatchObject({ store: 'down', on_store_error: 'local' });
    expect((down.shared_state as { decisions_without_store: number }).decisions_without_store).toBeGreaterThan(0);

    await redis.start(); // a fresh, empty Redis
    // Each replica reconnects by itself: wait until answers are the store's again.
    for (let i = 0; ; i++) {
      const probe = await chat(sims[i % 3]!, 'whisper-less', 1).catch(() => undefined);
      await probe?.arrayBuffer();
      const s = await stats(sims[0]!);
      if ((s.shared_state as { store: string }).store === 'up') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 1_200)); // every thread's breaker half-opens after 1 s
    const exact = await storm(sims, 'requests', 30, 10);
    // The 'requests' window lived in the old Redis; in the new one it starts empty: exactly 10 again.
    expect(exact.filter((r) => r.status === 200)).toHaveLength(10);
    for (const r of exact) expect(r.headers.get('x-simulator-limits')).toBeNull();
    await Promise.all(exact.map((r) => r.arrayBuffer()));
  });
});
