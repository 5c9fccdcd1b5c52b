/**
 * Issue 18: the worker pool's queue is bounded. One pool thread, a queue of one, and a burst of
 * unique heavy prompts (each counted in the pool for milliseconds): the requests over the bound get
 * the documented 429 at once — the AOAI envelope, `retry-after` and `retry-after-ms` — and are
 * counted in /metrics; the official SDK, retrying as it does, gets every answer, counted right.
 */
import { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, tokens, warmTokenOracle } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
beforeAll(async () => {
  warmTokenOracle();
  sim = await startSimulator({ SIMULATOR_THREADS: '1', SIMULATOR_POOL_THREADS: '1', SIMULATOR_POOL_MAX_QUEUE: '1' });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

const WORDS = 'the quick brown fox jumps over a lazy dog while seven wizards quietly box large green frogs'.split(' ');
/** ≈300 KB of text, different per `id`: far over the pool threshold, and no cache knows it. */
const heavyPrompt = (id: string): string => `Request ${id}: ` + Array.from({ length: 50_000 }, (_, i) => WORDS[(i * 7) % WORDS.length]).join(' ');
const BURST = 24;
const path = `/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`;

/**
 * The counter's sample line. (Not the whole exposition through the strict parser: two scrapes a
 * moment apart make prom-client write `nodejs_eventloop_lag_mean_seconds Nan`, which it rejects.)
 */
async function refusedTotal(): Promise<number> {
  const res = await fetch(`${sim.url}/metrics`, { headers: { 'api-key': sim.apiKey } });
  return Number(/^aoai_sim_pool_refused_total (\S+)$/m.exec(await res.text())?.[1] ?? NaN);
}

describe('bounded pool queue', () => {
  it('a burst past the bound: 429 in the AOAI envelope with retry-after(-ms), at once, counted', async () => {
    const answers = await Promise.all(
      Array.from({ length: BURST }, async (_, i) => {
        const res = await fetch(`${sim.url}${path}`, {
          method: 'POST',
          headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
          body: JSON.stringify({ messages: [{ role: 'user', content: heavyPrompt(`raw-${i}`) }], max_tokens: 5 }),
        });
        return { status: res.status, headers: res.headers, json: (await res.json()) as { error?: { code: string; message: string } } };
      }),
    );
    const refused = answers.filter((a) => a.status === 429);
    // The first task runs and one more waits; most of the rest find the queue full.
    expect(refused.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(2);
    expect(answers.every((a) => a.status === 200 || a.status === 429)).toBe(true);
    for (const a of refused) {
      expect(a.json.error!.code).toBe('429');
      expect(a.json.error!.message).toMatch(/^The system is currently experiencing high demand and cannot process your request\. .*Please retry after \d+ seconds\./);
      const ms = Number(a.headers.get('retry-after-ms'));
      expect(ms).toBeGreaterThanOrEqual(100);
      expect(ms).toBeLessThan(60_000);
      expect(a.headers.get('retry-after')).toBe(String(Math.ceil(ms / 1000)));
    }
    expect(await refusedTotal()).toBe(refused.length);
  });

  it('the openai SDK retries the 429 and gets every answer, each prompt counted right', async () => {
    const before = await refusedTotal();
    const client = new AzureOpenAI({ endpoint: sim.url, apiKey: sim.apiKey, apiVersion: API_VERSION, maxRetries: 20 });
    const prompts = Array.from({ length: BURST }, (_, i) => heavyPrompt(`sdk-${i}`));
    const results = await Promise.all(prompts.map((content) => client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content }], max_tokens: 5 })));
    // Some were refused on the way (else this would not test a retry), and every one was answered.
    expect(await refusedTotal()).toBeGreaterThan(before);
    expect(results).toHaveLength(BURST);
    results.forEach((r, i) => expect(r.usage!.prompt_tokens).toBe(3 + 1 + tokens(prompts[i]!, 'o200k_base') + 3));
  });
});
