/**
 * What a client reads back from another replica, and the extension API's shared limiters, on one
 * real Redis (test/helpers/redis.ts) with several simulator processes: a response stored through
 * one is retrieved, listed, continued (`previous_response_id`) and deleted through the other (the
 * official `openai` SDK); the byte budget and the expiry hold across them; an extension's
 * `requestsPerSecond` admits exactly its budget across both; a Redis that does not answer, then
 * one that is gone, gives a clear 503 within the timeout, never a hang.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { BadRequestError, NotFoundError } from 'openai';
import { redisClient, type Redis } from '../../src/state/redis.js';
import { patchConfig, startSimulator, type Simulator } from '../helpers/simulator.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

const EXTENSION = fileURLToPath(new URL('../../examples/document-intelligence', import.meta.url));
const PREFIX = 'test-responses:';
const BUDGET = 150_000;
const TIMEOUT_MS = 2_000;

let redis: RedisServer;
let a: Simulator; // a and b: the pair under test
let b: Simulator;
let small: Simulator; // writes with a 150 kB budget
let brief: Simulator; // writes with a 2 s expiry
let inspect: Redis;
let env: Record<string, string>;
const key = `responses-key-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  redis = await startRedis();
  env = {
    SIMULATOR_API_KEY: key,
    SIMULATOR_REDIS_URL: redis.socket,
    SIMULATOR_REDIS_PREFIX: PREFIX,
    // The machine is shared and busy: only a Redis that does not answer should reach the timeout.
    SIMULATOR_REDIS_TIMEOUT_MS: String(TIMEOUT_MS),
  };
  const pair = { ...env, SIMULATOR_THREADS: '2' };
  [a, b, small, brief] = await Promise.all([
    startSimulator({ ...pair, SIMULATOR_REPLICA_NAME: 'a' }),
    startSimulator({ ...pair, SIMULATOR_REPLICA_NAME: 'b' }),
    startSimulator({ ...env, SIMULATOR_THREADS: '1', SIMULATOR_REPLICA_NAME: 'small', SIMULATOR_RESPONSES_STORE_BYTES: String(BUDGET) }),
    startSimulator({ ...env, SIMULATOR_THREADS: '1', SIMULATOR_REPLICA_NAME: 'brief', SIMULATOR_RESPONSES_TTL_SECONDS: '2' }),
  ]);
  inspect = redisClient(redis.socket, () => undefined);
  await inspect.connect();
}, 120_000);
afterAll(async () => {
  await inspect?.close().catch(() => undefined);
  for (const sim of [a, b, small, brief]) if (sim) expect(await sim.stop()).toBe(0);
  await redis.stop();
});

const client = (sim: Simulator): OpenAI => new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: key, maxRetries: 0, timeout: 15_000 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('stored responses on Redis, across replicas', () => {
  it('a response stored through one process is retrieved, listed and deleted through the other', async () => {
    const created = await client(a).responses.create({ model: 'gpt-4o', input: [{ role: 'user', content: 'first' }, { role: 'user', content: 'second' }] });
    const retrieved = await client(b).responses.retrieve(created.id);
    expect(retrieved.id).toBe(created.id);
    expect(retrieved.output_text).toBe(created.output_text);
    const items = await client(b).responses.inputItems.list(created.id, { order: 'asc' });
    expect(items.data.map((item) => (item as { content: { text: string }[] }).content[0]!.text)).toEqual(['first', 'second']);
    // Deleted on b: gone on a (and on b, which finds nothing to delete again).
    await client(b).responses.delete(created.id);
    await expect(client(a).responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client(a).responses.delete(created.id)).rejects.toBeInstanceOf(NotFoundError);
    // store: false keeps nothing anywhere.
    const unstored = await client(a).responses.create({ model: 'gpt-4o', input: 'not kept', store: false });
    await expect(client(b).responses.retrieve(unstored.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('previous_response_id continues on the other process, with the whole conversation', async () => {
    const first = await client(a).responses.create({ model: 'gpt-4o', input: 'My name is Ada.' });
    const second = await client(b).responses.create({ model: 'gpt-4o', input: 'What is my name?', previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    // The continued turn was charged the earlier turns: its prompt is larger than the question alone.
    const alone = await client(b).responses.create({ model: 'gpt-4o', input: 'What is my name?', store: false });
    expect(second.usage!.input_tokens).toBeGreaterThan(alone.usage!.input_tokens + first.usage!.output_tokens);
    const third = await client(a).responses.create({ model: 'gpt-4o', input: 'And again?', previous_response_id: second.id });
    expect(third.usage!.input_tokens).toBeGreaterThan(second.usage!.input_tokens);
    await expect(client(b).responses.create({ model: 'gpt-4o', input: 'x', previous_response_id: 'resp_nowhere' })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('a background response is cancelled through one process and read as cancelled through the other', async () => {
    // A slow timeline (the configuration is shared: patched on a, it is b's too), so the cancel lands before it completes.
    expect((await patchConfig(a, { latency: { open_ai_chat_completions: { mean: 100, std_dev: 0 } } })).status).toBe(200);
    try {
      const created = await client(a).responses.create({ model: 'gpt-4o', input: 'a long one', background: true });
      expect(created.status).toBe('queued');
      const cancelled = await client(b).responses.cancel(created.id);
      expect(cancelled.status).toBe('cancelled');
      expect((await client(a).responses.retrieve(created.id)).status).toBe('cancelled');
    } finally {
      expect((await patchConfig(b, { latency: { open_ai_chat_completions: { mean: 0, std_dev: 0 } } })).status).toBe(200);
    }
  });

  it('the byte budget holds for the whole store: the oldest records go first, on every process', async () => {
    const big = 'lorem ipsum '.repeat(2_000); // ~24 kB of input, kept twice (input items, conversation): ~50 kB a record
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await client(small).responses.create({ model: 'gpt-4o', input: `${i} ${big}` })).id);
    const found = async (id: string): Promise<boolean> => client(a).responses.retrieve(id).then(() => true, (err: unknown) => (err instanceof NotFoundError ? false : Promise.reject(err)));
    const present = await Promise.all(ids.map(found));
    // Two or three of ~50 kB fit in 150 kB: the newest are kept, the oldest evicted.
    expect(present.slice(0, 3)).toEqual([false, false, false]);
    expect(present.slice(4)).toEqual([true, true]);
    expect(await Promise.all(ids.map((id) => client(b).responses.retrieve(id).then(() => true, () => false)))).toEqual(present);
    const bytes = Number(await inspect.get(`${PREFIX}responses:{kv}:bytes`));
    expect(bytes).toBeGreaterThan(2 * big.length);
    expect(bytes).toBeLessThanOrEqual(BUDGET);
  });

  it('a record expires when its writer said, on every process', async () => {
    const created = await client(brief).responses.create({ model: 'gpt-4o', input: 'short-lived' });
    const ttl = await inspect.pTTL(`${PREFIX}responses:{kv}:v:${created.id}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2_000);
    await sleep(2_500);
    await expect(client(a).responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client(brief).responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe("the extension API's shared limiters on Redis", () => {
  // Their own pair: with an extension's generator, Responses requests take the extension's path.
  let x: Simulator;
  let y: Simulator;
  beforeAll(async () => {
    const extended = { ...env, SIMULATOR_THREADS: '1', EXTENSION_PATH: EXTENSION, DOC_INTELLIGENCE_RPS: '5' };
    [x, y] = await Promise.all([startSimulator({ ...extended, SIMULATOR_REPLICA_NAME: 'x' }), startSimulator({ ...extended, SIMULATOR_REPLICA_NAME: 'y' })]);
  }, 120_000);
  afterAll(async () => {
    for (const sim of [x, y]) if (sim) expect(await sim.stop()).toBe(0);
  });
  const analyze = (sim: Simulator): Promise<Response> =>
    fetch(`${sim.url}/formrecognizer/documentModels/prebuilt-receipt:analyze?api-version=2023-07-31`, {
      method: 'POST',
      headers: { 'ocp-apim-subscription-key': key, 'content-type': 'application/octet-stream' },
      body: 'a receipt',
      signal: AbortSignal.timeout(15_000),
    });

  it('requestsPerSecond admits exactly its budget across both processes', async () => {
    // 5 a second across x and y: 16 at once, 8 to each. The window is one second, so a batch that
    // took longer than that (a busy machine) proves nothing: it is tried again, a second later.
    for (let attempt = 0; ; attempt++) {
      await sleep(1_100); // an empty window
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => analyze(i % 2 === 0 ? x : y)));
      const took = Date.now() - started;
      await Promise.all(answers.map((r) => r.arrayBuffer()));
      if (took > 800 && attempt < 4) continue;
      const admitted = answers.filter((r) => r.status === 202);
      const refused = answers.filter((r) => r.status === 429);
      expect(admitted).toHaveLength(5);
      expect(refused).toHaveLength(11);
      for (const r of refused) {
        expect(r.headers.get('retry-after')).toBe('1');
        expect(r.headers.get('x-simulator-limits')).toBeNull(); // decided by Redis, not a fallback
      }
      // One window, not one each: each process got 8, so windows of their own would have admitted 10.
      return;
    }
  });
});

describe('when Redis does not answer, or is gone', () => {
  it('stored-response requests get a clear 503 within the timeout, never a hang; they work again once Redis answers', async () => {
    const kept = await client(a).responses.create({ model: 'gpt-4o', input: 'before the pause' });
    // CLIENT PAUSE: Redis holds every other client's commands — a store that does not answer.
    await inspect.sendCommand(['CLIENT', 'PAUSE', String(TIMEOUT_MS * 2), 'ALL']);
    const started = Date.now();
    const late = await fetch(`${b.url}/openai/v1/responses/${kept.id}`, { headers: { 'api-key': key }, signal: AbortSignal.timeout(15_000) });
    const waited = Date.now() - started;
    expect(late.status).toBe(503);
    const body = (await late.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ServiceUnavailable');
    expect(body.error.message).toContain('stored responses live in Redis (SIMULATOR_REDIS_URL), which did not answer');
    expect(body.error.message).toContain(`within ${TIMEOUT_MS} ms`);
    expect(body.error.message).not.toContain(redis.socket); // the URL may hold a password: never shown
    expect(waited).toBeGreaterThanOrEqual(TIMEOUT_MS - 100); // it waited for the store's timeout, not for the pause
    await inspect.sendCommand(['CLIENT', 'UNPAUSE']);
    expect((await client(b).responses.retrieve(kept.id)).id).toBe(kept.id);

    // Gone: answered at once, 503, for a read, a create and a continuation alike.
    await redis.stop();
    const gone = await fetch(`${a.url}/openai/v1/responses/${kept.id}`, { headers: { 'api-key': key }, signal: AbortSignal.timeout(15_000) });
    expect(gone.status).toBe(503);
    expect(((await gone.json()) as { error: { message: string } }).error.message).toContain('stored responses live in Redis');
    await expect(client(b).responses.create({ model: 'gpt-4o', input: 'while Redis is gone' })).rejects.toMatchObject({ status: 503 });
    await expect(client(b).responses.create({ model: 'gpt-4o', input: 'x', previous_response_id: kept.id })).rejects.toMatchObject({ status: 503 });
    // A response that is not stored needs no store.
    expect((await client(a).responses.create({ model: 'gpt-4o', input: 'unstored', store: false })).status).toBe('completed');
  });
});
