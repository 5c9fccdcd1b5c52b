/**
 * The Redis rate-limit script against the embedded windows (sliding-window.ts) on the same random
 * traffic at the same times: every admission, refusal, reason, retry time and remaining budget is
 * the same; the batch script decides as consecutive calls of the single one. A real redis-server
 * (test/helpers/redis.ts). Also the refusal cache's rule: it only refuses what the store would refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMIT_BATCH_SCRIPT, LIMIT_SCRIPT, RefusalCache, admissionOfReply, requestRule, tokenRule, type WindowRule } from '../../src/core/limits/shared-window.js';
import { RequestWindow, TokenWindow, allocateWindow, type Admission } from '../../src/core/limits/sliding-window.js';
import { redisClient, runScript, sha1, type Redis } from '../../src/state/redis.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

let server: RedisServer;
let client: Redis;
beforeAll(async () => {
  server = await startRedis();
  client = redisClient(server.socket, () => undefined);
  await client.connect();
});
afterAll(async () => {
  await client.close();
  await server.stop();
});

const hash = sha1(LIMIT_SCRIPT);
let keys = 0;
const admitAt = async (key: string, cost: number, rule: WindowRule, nowMs: number): Promise<Admission> =>
  admissionOfReply((await runScript(client, LIMIT_SCRIPT, hash, [`${key}:log`, `${key}:agg`], [String(cost), String(rule.tokens), String(rule.requests), String(rule.tokenWindowMs), String(rule.requestWindowMs), String(nowMs)])) as unknown[]);

/**
 * Equal, except that the embedded window counts in float seconds: 1,243 ms can come out of it as
 * 1.2430000001 s and so 1,244 ms. The script counts whole ms; the two may differ by that 1 ms.
 */
function expectSame(shared: Admission, embedded: Admission, what: string): void {
  if (shared.allowed || embedded.allowed || shared.reason === 'too-large' || embedded.reason === 'too-large') return void expect(shared, what).toEqual(embedded);
  const { retryAfterMs: a, retryAfterSeconds: _as, ...restShared } = shared;
  const { retryAfterMs: b, retryAfterSeconds: _bs, ...restEmbedded } = embedded;
  expect(restShared, what).toEqual(restEmbedded);
  expect(Math.abs(a - b), `${what}: retry-after-ms ${a} vs ${b}`).toBeLessThanOrEqual(1);
  expect(shared.retryAfterSeconds).toBe(Math.ceil(a / 1000));
}

/** A small deterministic generator (the failing seed is in the test name). */
const rng = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);

describe('the Redis limit script', () => {
  for (const [tpm, seed] of [[1000, 1], [10_000, 2], [384, 3], [50_000, 4]] as const) {
    it(`matches TokenWindow entry for entry (TPM ${tpm}, seed ${seed})`, async () => {
      const key = `t${keys++}`;
      const window = new TokenWindow(allocateWindow(TokenWindow.capacityFor(TokenWindow.requestsPer10sFor(tpm)), false), tpm);
      const random = rng(seed);
      let now = 1_700_000_000_000;
      let refused = 0;
      for (let i = 0; i < 400; i++) {
        now += Math.floor(random() * 1500);
        const cost = 1 + Math.floor(random() * tpm * 0.4);
        const embedded = window.add(cost, now / 1000);
        const shared = await admitAt(key, cost, tokenRule(tpm), now);
        if (!embedded.allowed) refused++;
        if (embedded.allowed || embedded.reason !== 'too-large') expectSame(shared, embedded, `request ${i} at ${now}, cost ${cost}`);
      }
      expect(refused).toBeGreaterThan(20); // the traffic did reach the limits
    });
  }

  it('matches RequestWindow (whisper RPM, and an n-per-second window)', async () => {
    for (const [n, windowMs] of [[3, 60_000], [5, 1_000]] as const) {
      const key = `r${keys++}`;
      const window = new RequestWindow(allocateWindow(RequestWindow.capacityFor(n), false), n, windowMs / 1000);
      const random = rng(n);
      let now = 1_700_000_000_000;
      for (let i = 0; i < 200; i++) {
        now += Math.floor(random() * windowMs * 0.3);
        expectSame(await admitAt(key, 0, requestRule(n, windowMs), now), window.add(now / 1000), `request ${i}`);
      }
    }
  });

  it('runs on the store clock when no time is given, and survives a SCRIPT FLUSH (EVALSHA → EVAL)', async () => {
    await client.scriptFlush();
    const key = `c${keys++}`;
    const args = (cost: number) => [String(cost), '1000', '1', '60000', '10000'];
    const first = admissionOfReply((await runScript(client, LIMIT_SCRIPT, hash, [`${key}:log`, `${key}:agg`], args(100))) as unknown[]);
    const second = admissionOfReply((await runScript(client, LIMIT_SCRIPT, hash, [`${key}:log`, `${key}:agg`], args(100))) as unknown[]);
    expect(first).toEqual({ allowed: true, remainingTokens: 900, remainingRequests: 0 });
    expect(second).toMatchObject({ allowed: false, reason: 'requests', remainingTokens: 900 });
    expect((second as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(9_000);
    expect((second as { retryAfterMs: number }).retryAfterMs).toBeLessThanOrEqual(10_000);
    // Idle windows expire: nothing is left a second after the longest window.
    expect(await client.pTTL(`${key}:log`)).toBeGreaterThan(60_000);
  });
});

describe('the batch script (one call for the requests of one event-loop turn)', () => {
  const batchHash = sha1(LIMIT_BATCH_SCRIPT);
  const batchAt = async (key: string, costs: readonly number[], rule: WindowRule, nowMs: number): Promise<Admission[]> => {
    const args = [String(rule.tokens), String(rule.requests), String(rule.tokenWindowMs), String(rule.requestWindowMs), String(nowMs), ...costs.map(String)];
    const flat = (await runScript(client, LIMIT_BATCH_SCRIPT, batchHash, [`${key}:log`, `${key}:agg`], args)) as unknown[];
    return costs.map((_, i) => admissionOfReply(flat.slice(i * 5, i * 5 + 5)));
  };
  for (const [rule, seed] of [[tokenRule(10_000), 5], [tokenRule(2_000), 6], [requestRule(7, 1_000), 7]] as const) {
    it(`decides each request as consecutive single calls would (${rule.tokens} tokens / ${rule.requests} requests, seed ${seed})`, async () => {
      const single = `bs${keys++}`;
      const batched = `bb${keys++}`;
      const random = rng(seed);
      let now = 1_700_000_000_000;
      let refused = 0;
      for (let turn = 0; turn < 120; turn++) {
        now += Math.floor(random() * 900);
        const costs = Array.from({ length: 1 + Math.floor(random() * 6) }, () => 1 + Math.floor(random() * 1_500));
        const fromBatch = await batchAt(batched, costs, rule, now);
        for (let i = 0; i < costs.length; i++) {
          const one = await admitAt(single, costs[i]!, rule, now);
          if (!one.allowed) refused++;
          expect(fromBatch[i], `turn ${turn}, request ${i}, cost ${costs[i]}`).toEqual(one);
        }
      }
      expect(refused).toBeGreaterThan(20); // the traffic reached the limits
    });
  }
});

describe('the refusal cache', () => {
  it('refuses a cost at least as large as a refused one until its time, any cost on a requests refusal, nothing after', () => {
    const cache = new RefusalCache();
    cache.record(1_000, 500, { allowed: false, reason: 'tokens', retryAfterMs: 2_000, retryAfterSeconds: 2, remainingTokens: 100, remainingRequests: 3 });
    expect(cache.lookup(1_500, 400)).toBeUndefined(); // a smaller cost may fit: ask the store
    expect(cache.lookup(1_500, 500)).toMatchObject({ allowed: false, reason: 'tokens', retryAfterMs: 1_500, retryAfterSeconds: 2 });
    expect(cache.lookup(1_500, 900)).toMatchObject({ reason: 'tokens' });
    expect(cache.lookup(3_000, 900)).toBeUndefined();
    cache.record(3_000, 1, { allowed: false, reason: 'requests', retryAfterMs: 100, retryAfterSeconds: 1, remainingTokens: 0, remainingRequests: 0 });
    expect(cache.lookup(3_050, 1)).toMatchObject({ reason: 'requests', retryAfterMs: 50 });
    expect(cache.lookup(3_100, 1)).toBeUndefined();
  });

  it('never refuses what the store admits (random traffic from two "replicas", one cache each)', async () => {
    const key = `n${keys++}`;
    const tpm = 5_000;
    const caches = [new RefusalCache(), new RefusalCache()];
    const random = rng(9);
    let now = 1_700_000_000_000;
    let cachedRefusals = 0;
    for (let i = 0; i < 600; i++) {
      now += Math.floor(random() * 400);
      const cache = caches[i % 2]!;
      const cost = 1 + Math.floor(random() * 2_000);
      const cached = cache.lookup(now, cost);
      const truth = await admitAt(key, cost, tokenRule(tpm), now); // charged only if the cache did not refuse
      if (cached) {
        cachedRefusals++;
        expect(truth.allowed, `request ${i}: the cache refused what the store admitted`).toBe(false);
        // undo nothing: a refused request was not recorded by the store either
      } else if (!truth.allowed && truth.reason !== 'too-large') cache.record(now, cost, truth);
    }
    expect(cachedRefusals).toBeGreaterThan(50);
  });
});
