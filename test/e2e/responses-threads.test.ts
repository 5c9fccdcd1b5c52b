/**
 * The embedded response store is thread-owned (src/front-end/responses-store.ts): the thread that
 * made a response keeps its record, and the id names that thread. Here, through the official
 * `openai` SDK on real sockets with several front-end threads, every request on a connection of
 * its own (the kernel spreads new connections over the threads' SO_REUSEPORT sockets): a response
 * made on one connection is retrieved, listed, continued and deleted on many others, a delete is
 * seen by every thread, the byte budget still bounds what is kept, and a thread that is restarted
 * takes its own records with it but reaches the others' (and they its new ones).
 *
 * Which thread answered a request is not visible from outside; which thread owns a response is (its
 * id, `ownerOf`). With ids owned by at least two threads and each looked up on eight new
 * connections, some lookups land on a thread that does not own the record — all of them landing on
 * the owner has a probability of (1/threads)^8 per id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { BadRequestError, NotFoundError } from 'openai';
import { ownerOf } from '../../src/core/responses/store.js';
import { patchConfig, startSimulator, type Simulator } from '../helpers/simulator.js';

/** A client whose every request opens its own connection. */
function freshConnections(sim: Simulator): OpenAI {
  const fetchClosing: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), connection: 'close' } });
  return new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: sim.apiKey, maxRetries: 0, fetch: fetchClosing });
}

const LOOKUPS = 8;
const times = <T>(n: number, f: (i: number) => Promise<T>): Promise<T[]> => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

describe('stored responses across four front-end threads', () => {
  const THREADS = 4;
  let sim: Simulator;
  let client: OpenAI;
  beforeAll(async () => {
    sim = await startSimulator({ SIMULATOR_THREADS: String(THREADS) });
    client = freshConnections(sim);
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('ids keep the service shape and name the thread that made them', async () => {
    const made = await times(16, (i) => client.responses.create({ model: 'gpt-4o', input: `Question ${i}`, max_output_tokens: 16 }));
    for (const r of made) expect(r.id).toMatch(/^resp_[0-9a-f]{48}$/);
    // Sixteen connections over four threads: made on at least two of them.
    expect(new Set(made.map((r) => ownerOf(r.id, THREADS))).size).toBeGreaterThanOrEqual(2);
  });

  it('a response made on one connection is retrieved, listed and continued on every other, at once', async () => {
    const made = await times(8, (i) => client.responses.create({ model: 'gpt-4o', input: [{ role: 'user', content: `Tell me about the number ${i}.` }], max_output_tokens: 16 }));
    expect(new Set(made.map((r) => ownerOf(r.id, THREADS))).size).toBeGreaterThanOrEqual(2);
    for (const r of made) {
      const retrieved = await times(LOOKUPS, () => client.responses.retrieve(r.id));
      for (const got of retrieved) {
        expect(got.id).toBe(r.id);
        expect(got.status).toBe(r.status);
        expect(got.output_text).toBe(r.output_text);
      }
      const listed = await times(LOOKUPS, () => client.responses.inputItems.list(r.id));
      for (const page of listed) {
        expect(page.data).toHaveLength(1);
        expect(page.data[0]).toMatchObject({ type: 'message', role: 'user' });
      }
      // Continued on other connections: the stored conversation is the prompt's cached part.
      const next = await times(LOOKUPS, () => client.responses.create({ model: 'gpt-4o', input: 'And then?', previous_response_id: r.id, max_output_tokens: 16 }));
      for (const n of next) {
        expect(n.previous_response_id).toBe(r.id);
        expect(n.usage!.input_tokens_details.cached_tokens).toBeGreaterThan(0);
        expect(n.usage!.input_tokens).toBeGreaterThan(r.usage!.input_tokens);
      }
    }
  });

  it('a delete on one connection is a 404 on every other, and the id can no longer be continued', async () => {
    const made = await times(6, (i) => client.responses.create({ model: 'gpt-4o', input: `Forget me ${i}`, max_output_tokens: 16 }));
    expect(new Set(made.map((r) => ownerOf(r.id, THREADS))).size).toBeGreaterThanOrEqual(2);
    for (const r of made) {
      expect(await client.responses.delete(r.id)).toMatchObject({ id: r.id, object: 'response.deleted', deleted: true });
      const lookups = await times(LOOKUPS, () => client.responses.retrieve(r.id).then(() => 'found', (err: unknown) => err));
      for (const result of lookups) expect(result).toBeInstanceOf(NotFoundError);
      const items = await times(LOOKUPS, () => client.responses.inputItems.list(r.id).then(() => 'found', (err: unknown) => err));
      for (const result of items) expect(result).toBeInstanceOf(NotFoundError);
      const again = await times(LOOKUPS, () => client.responses.delete(r.id).then(() => 'deleted', (err: unknown) => err));
      for (const result of again) expect(result).toBeInstanceOf(NotFoundError);
      await expect(client.responses.create({ model: 'gpt-4o', input: 'x', previous_response_id: r.id })).rejects.toBeInstanceOf(BadRequestError);
    }
  });

  it('a background response cancelled on another connection is cancelled for every thread', async () => {
    const slow = await startSimulator({ SIMULATOR_THREADS: String(THREADS), LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '20', LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0' });
    try {
      const c = freshConnections(slow);
      const made = await times(4, () => c.responses.create({ model: 'gpt-4o', input: 'Take your time.', background: true, max_output_tokens: 400 }));
      for (const r of made) {
        expect(r.status).toBe('queued');
        const cancelled = await c.responses.cancel(r.id);
        expect(cancelled.status).toBe('cancelled');
        const seen = await times(LOOKUPS, () => c.responses.retrieve(r.id));
        expect(seen.map((s) => s.status)).toEqual(Array(LOOKUPS).fill('cancelled'));
      }
    } finally {
      expect(await slow.stop()).toBe(0);
    }
  });
});

describe('the byte budget with the records spread over threads', () => {
  const BUDGET = 40_000;
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ SIMULATOR_THREADS: '2', SIMULATOR_RESPONSES_STORE_BYTES: String(BUDGET) });
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('keeps no more than the budget: the oldest are gone, the newest are there', async () => {
    const client = freshConnections(sim);
    const ids: string[] = [];
    // One after the other, so "oldest" is well defined on every thread.
    for (let i = 0; i < 60; i++) ids.push((await client.responses.create({ model: 'gpt-4o', input: `Number ${i}`, max_output_tokens: 40 })).id);
    const found = await times(ids.length, (i) => client.responses.retrieve(ids[i]!).then((r) => JSON.stringify(r).length, (err: unknown) => err));
    const kept = found.filter((x): x is number => typeof x === 'number');
    for (const x of found) if (typeof x !== 'number') expect(x).toBeInstanceOf(NotFoundError);
    // A record holds the response object and more (input items, conversation): what is still
    // there weighs less than the budget even counted by its response objects alone.
    expect(kept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(BUDGET);
    expect(kept.length).toBeGreaterThan(0);
    expect(found.slice(0, 5).every((x) => x instanceof NotFoundError)).toBe(true);
    // The last response each thread made is there.
    for (const owner of [0, 1]) {
      const last = ids.findLastIndex((id) => ownerOf(id, 2) === owner);
      expect(last).toBeGreaterThanOrEqual(0);
      expect(typeof found[last]).toBe('number');
    }
  });
});

describe('a front-end thread that is restarted', () => {
  let sim: Simulator;
  beforeAll(async () => {
    // The test hook of thread-exit.test.ts: a thread that receives a configuration change it did
    // not ask for shuts down, and main starts another in its place.
    sim = await startSimulator({ SIMULATOR_THREADS: '2', SIMULATOR_TEST_EXIT_ON_FOREIGN_CONFIG: '1' });
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('takes its own records with it, and reaches the other thread\'s records (and they its new ones)', async () => {
    const client = freshConnections(sim);
    const before = await times(16, (i) => client.responses.create({ model: 'gpt-4o', input: `Before ${i}`, max_output_tokens: 16 }));
    expect(new Set(before.map((r) => ownerOf(r.id, 2))).size).toBe(2);

    expect((await patchConfig(sim, { latency: { open_ai_embeddings: { mean: 7 } } })).status).toBe(503);
    await expect.poll(() => sim.stderr(), { timeout: 20_000 }).toMatch(/front-end thread \d exited \(code 0\); starting a new one/);
    const gone = Number(/front-end thread (\d) exited \(code 0\)/.exec(sim.stderr())![1]);
    const survivor = 1 - gone;

    // The new thread serves once it listens: responses it makes name it.
    await expect
      .poll(async () => (await times(8, () => client.responses.create({ model: 'gpt-4o', input: 'probe', max_output_tokens: 16 }))).some((r) => ownerOf(r.id, 2) === gone), { timeout: 20_000, interval: 200 })
      .toBe(true);
    const after = await times(16, (i) => client.responses.create({ model: 'gpt-4o', input: `After ${i}`, max_output_tokens: 16 }));

    for (const r of [...before.filter((b) => ownerOf(b.id, 2) === survivor), ...after]) {
      const seen = await times(LOOKUPS, () => client.responses.retrieve(r.id));
      expect(seen.map((s) => s.id)).toEqual(Array(LOOKUPS).fill(r.id));
    }
    // The records the exited thread kept ended with it: a 404 from both threads.
    for (const r of before.filter((b) => ownerOf(b.id, 2) === gone)) {
      const seen = await times(LOOKUPS, () => client.responses.retrieve(r.id).then(() => 'found', (err: unknown) => err));
      for (const result of seen) expect(result).toBeInstanceOf(NotFoundError);
    }
  });
});
