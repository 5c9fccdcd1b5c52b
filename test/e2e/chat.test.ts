/**
 * Chat completions through the official SDK, on every route style, inline and through the worker
 * pool (SIMULATOR_POOL_MIN_BODY_BYTES=1 sends every request to the pool): both paths must answer
 * the same way. These instances use SIMULATOR_ANSWER_LENGTH=fill (answers exactly max_tokens long)
 * so sizes can be asserted exactly; the default, natural length, has its own test at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type OpenAI from 'openai';
import { azureClient, openaiClient, tokens, warmTokenOracle } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const QUESTION = [{ role: 'user' as const, content: 'What is the meaning of life?' }];

describe.each([
  ['inline', { SIMULATOR_ANSWER_LENGTH: 'fill' }],
  ['pool', { SIMULATOR_ANSWER_LENGTH: 'fill', SIMULATOR_POOL_MIN_BODY_BYTES: '1' }],
])('chat completions (%s)', (_label, env: Record<string, string>) => {
  let sim: Simulator;
  beforeAll(async () => {
    warmTokenOracle();
    sim = await startSimulator(env);
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('answers with exact usage and finish_reason length at max_tokens (AzureOpenAI, cl100k model)', async () => {
    const client = azureClient(sim);
    const r = await client.chat.completions.create({ model: 'gpt-35-turbo-100k-token', messages: QUESTION, max_tokens: 50 });
    expect(r.object).toBe('chat.completion');
    expect(r.id).toMatch(/^chatcmpl-/);
    expect(r.choices).toHaveLength(1);
    const choice = r.choices[0]!;
    expect(choice.finish_reason).toBe('length');
    expect(choice.message.role).toBe('assistant');
    expect(r.usage!.prompt_tokens).toBe(14); // the Python simulator's worked example (python-compatibility.md §6)
    expect(r.usage!.completion_tokens).toBe(50);
    expect(tokens(choice.message.content!, 'cl100k_base')).toBe(50);
    expect(r.usage!.total_tokens).toBe(64);
    expect(r.usage!.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(r.usage!.completion_tokens_details?.reasoning_tokens).toBe(0);
  });

  it('counts with o200k_base for gpt-4o and honours max_completion_tokens and n', async () => {
    const client = azureClient(sim);
    const r = await client.chat.completions.create({ model: 'gpt-4o', messages: QUESTION, max_completion_tokens: 20, n: 3 });
    expect(r.model).toBe('gpt-4o');
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    let sum = 0;
    for (const c of r.choices) {
      expect(c.finish_reason).toBe('length');
      const n = tokens(c.message.content!, 'o200k_base');
      expect(n).toBe(20);
      sum += n;
    }
    expect(r.usage!.completion_tokens).toBe(sum);
    expect(r.usage!.prompt_tokens).toBe(3 + 1 + tokens(QUESTION[0]!.content, 'o200k_base') + 3);
  });

  it('ends with finish_reason stop when no limit is given', async () => {
    const r = await azureClient(sim).chat.completions.create({ model: 'gpt-4o-mini', messages: QUESTION });
    const c = r.choices[0]!;
    expect(c.finish_reason).toBe('stop');
    expect(c.message.content!.endsWith('.')).toBe(true);
    expect(r.usage!.completion_tokens).toBe(tokens(c.message.content!, 'o200k_base'));
  });

  it('streams like AOAI: prompt-filter event first, one id, deltas, finish, usage, [DONE]', async () => {
    const stream = await azureClient(sim).chat.completions.create({
      model: 'gpt-4o',
      messages: QUESTION,
      max_tokens: 30,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const first = chunks[0]! as OpenAI.Chat.Completions.ChatCompletionChunk & { prompt_filter_results?: unknown[] };
    expect(first.choices).toEqual([]);
    expect(first.prompt_filter_results).toHaveLength(1);
    const body = chunks.slice(1);
    expect(new Set(body.map((c) => c.id)).size).toBe(1);
    expect(body.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4o')).toBe(true);
    expect(body[0]!.choices[0]!.delta.role).toBe('assistant');
    const usageChunk = body.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    const finish = body.at(-2)!.choices[0]!;
    expect(finish.finish_reason).toBe('length');
    const text = body.flatMap((c) => c.choices.map((ch) => ch.delta.content ?? '')).join('');
    const contentChunks = body.filter((c) => c.choices[0]?.delta.content);
    expect(contentChunks).toHaveLength(30); // one event per token
    expect(tokens(text, 'o200k_base')).toBe(30);
    expect(usageChunk.usage!.completion_tokens).toBe(30);
    expect(usageChunk.usage!.prompt_tokens).toBeGreaterThan(0);
    // Everything but the usage chunk carries usage: null, as the service does with include_usage.
    expect(body.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('streams n choices interleaved, each with its own finish', async () => {
    const stream = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: QUESTION, max_tokens: 5, n: 2, stream: true });
    const texts = ['', ''];
    const finishes: (string | null)[] = [null, null];
    let sawUsage = false;
    for await (const chunk of stream) {
      if (chunk.usage) sawUsage = true;
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? '';
        if (c.finish_reason) finishes[c.index] = c.finish_reason;
      }
    }
    expect(sawUsage).toBe(false); // not asked for
    expect(finishes).toEqual(['length', 'length']);
    expect(texts.map((t) => tokens(t, 'o200k_base'))).toEqual([5, 5]);
  });

  it('serves /v1 and /openai/v1 with the deployment taken from the body model', async () => {
    for (const prefix of ['/v1', '/openai/v1'] as const) {
      const r = await openaiClient(sim, prefix).chat.completions.create({ model: 'gpt-4.1', messages: QUESTION, max_tokens: 7 });
      expect(r.model).toBe('gpt-4.1');
      expect(r.usage!.completion_tokens).toBe(7);
      expect(tokens(r.choices[0]!.message.content!, 'o200k_base')).toBe(7);
    }
  });

  it('accepts Authorization: Bearer <key> as well as api-key', async () => {
    const res = await fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: QUESTION, max_tokens: 3 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('apim-request-id')).toBe(res.headers.get('x-request-id'));
    expect(((await res.json()) as { usage: { completion_tokens: number } }).usage.completion_tokens).toBe(3);
  });

  it('counts image parts and tool messages in the prompt', async () => {
    const r = await azureClient(sim).chat.completions.create({
      model: 'gpt-4o',
      max_tokens: 1,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
          ],
        },
      ],
    });
    expect(r.usage!.prompt_tokens).toBe(3 + 1 + tokens('What is in this image?', 'o200k_base') + 85 + 3);
  });
});

describe('chat completions with the default (natural) answer length', () => {
  let sim: Simulator;
  beforeAll(async () => {
    warmTokenOracle();
    sim = await startSimulator();
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('treats a generous max_tokens as a cap: whole sentences, finish_reason stop, exact usage', async () => {
    const r = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: QUESTION, max_tokens: 4096, n: 4 });
    for (const c of r.choices) {
      expect(c.finish_reason).toBe('stop');
      expect(c.message.content!.endsWith('.')).toBe(true);
    }
    const total = r.choices.reduce((sum, c) => sum + tokens(c.message.content!, 'o200k_base'), 0);
    expect(r.usage!.completion_tokens).toBe(total);
    expect(total).toBeLessThan(4 * 4096);
  });

  it('cuts at a tight max_tokens with finish_reason length', async () => {
    const r = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: QUESTION, max_tokens: 5 });
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage!.completion_tokens).toBe(5);
  });
});
