/**
 * Per-deployment rate limits in generate mode, as AOAI answers them: 429s with retry-after,
 * retry-after-ms and x-ratelimit-reset-*, x-ratelimit headers on admitted answers, the SDK's own
 * retry honouring the wait, and one budget for a deployment across front-end threads.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, azureClient } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
const messages = [{ role: 'user' as const, content: 'hello' }];

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'aoai-sim-limits-')), 'deployments.json');
  writeFileSync(
    file,
    JSON.stringify({
      low: { model: 'gpt-35-turbo', tokensPerMinute: 384 }, // 1 request / 10 s (python-compatibility.md §7.1)
      big: { model: 'gpt-4o', tokensPerMinute: 10_000 }, // 10 requests / 10 s, 10k tokens / 60 s
      burst: { model: 'gpt-4o', tokensPerMinute: 10_000 },
      retry: { model: 'gpt-4o', tokensPerMinute: 1_000 },
      unlimited: { model: 'gpt-4o' },
    }),
  );
  sim = await startSimulator({ OPENAI_DEPLOYMENT_CONFIG_PATH: file, SIMULATOR_THREADS: '2', SIMULATOR_ANSWER_LENGTH: 'fill' });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

const post = (deployment: string, body: object): Promise<Response> =>
  fetch(`${sim.url}/openai/deployments/${deployment}/chat/completions?api-version=${API_VERSION}`, {
    method: 'POST',
    headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('rate limits', () => {
  it('admits with x-ratelimit headers, then answers 429 like AOAI when the requests rule binds', async () => {
    const first = await post('low', { messages, max_tokens: 50 });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(first.headers.get('x-ratelimit-remaining-tokens')).toBe(String(384 - 50));
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('384');

    const err = await azureClient(sim).chat.completions.create({ model: 'low', messages, max_tokens: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe('429');
    expect(e.message).toContain(`Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${API_VERSION} have exceeded call rate limit`);
    expect(e.message).toMatch(/Please retry after (9|10) seconds\./);
    const retryAfter = Number(e.headers?.get('retry-after'));
    const retryAfterMs = Number(e.headers?.get('retry-after-ms'));
    expect(retryAfter).toBeGreaterThanOrEqual(9);
    expect(retryAfterMs).toBeGreaterThan((retryAfter - 1) * 1000);
    expect(retryAfterMs).toBeLessThanOrEqual(retryAfter * 1000);
    expect(e.headers?.get('x-ratelimit-reset-requests')).toBe(String(retryAfter));
    // The budget as it stands, as on a success: no request left in the 10 s window, 50 tokens used.
    expect(e.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(e.headers?.get('x-ratelimit-remaining-tokens')).toBe(String(384 - 50));
    expect(e.headers?.get('x-ratelimit-limit-tokens')).toBe('384');
  });

  it('names the token rate limit when tokens bind, and refuses a cost larger than the whole budget', async () => {
    expect((await post('big', { messages, max_tokens: 6_000 })).status).toBe(200);
    const limited = await post('big', { messages, max_tokens: 6_000 });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-reset-tokens')).not.toBeNull();
    expect(((await limited.json()) as { error: { message: string } }).error.message).toContain('exceeded token rate limit');
    const impossible = await post('low', { messages, max_tokens: 500 });
    expect(impossible.status).toBe(400);
  });

  it('leaves deployments without limits unlimited, and without limit headers', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await post('unlimited', { messages, max_tokens: 1 });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-remaining-requests')).toBeNull();
    }
  });

  it('is one budget across front-end threads: 10 requests per 10 s, whatever thread answers', async () => {
    const statuses = await Promise.all(Array.from({ length: 40 }, () => post('burst', { messages, max_tokens: 1 }).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
  });

  it("the SDK's built-in retry waits the advertised time and then succeeds", async () => {
    expect((await post('retry', { messages, max_tokens: 1 })).status).toBe(200);
    const probe = await post('retry', { messages, max_tokens: 1 });
    expect(probe.status).toBe(429);
    const advertised = Number(probe.headers.get('retry-after-ms'));
    const client = new AzureOpenAI({ endpoint: sim.url, apiKey: sim.apiKey, apiVersion: API_VERSION, maxRetries: 3 });
    const t0 = performance.now();
    const answer = await client.chat.completions.create({ model: 'retry', messages, max_tokens: 1 });
    expect(answer.usage!.completion_tokens).toBe(1);
    // It waited (at least) what the 429 advertised, then got through.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(advertised - 1_000);
  }, 30_000);
});
