/** Completions and embeddings through the official SDK against a started simulator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureClient, openaiClient, tokens, warmTokenOracle } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
beforeAll(async () => {
  warmTokenOracle();
  sim = await startSimulator({ SIMULATOR_ANSWER_LENGTH: 'fill' });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

describe('completions', () => {
  it('answers max_tokens tokens with exact usage', async () => {
    const r = await azureClient(sim).completions.create({ model: 'gpt-35-turbo-instruct', prompt: 'This is a test prompt', max_tokens: 50 });
    expect(r.object).toBe('text_completion');
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(tokens(r.choices[0]!.text, 'cl100k_base')).toBe(50);
    expect(r.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 50, total_tokens: 55 });
  });

  it('defaults to 16 tokens, like the live completions API', async () => {
    const r = await azureClient(sim).completions.create({ model: 'gpt-35-turbo-instruct', prompt: 'Say something' });
    expect(r.usage!.completion_tokens).toBe(16);
  });

  it('answers n choices for each of several prompts', async () => {
    const r = await openaiClient(sim).completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: ['one', 'two'], n: 2, max_tokens: 4 });
    expect(r.choices.map((c) => c.index)).toEqual([0, 1, 2, 3]);
    expect(r.usage!.completion_tokens).toBe(16);
    expect(r.usage!.prompt_tokens).toBe(2);
  });

  it('streams tokens, then the finish and usage events', async () => {
    const stream = await azureClient(sim).completions.create({
      model: 'gpt-35-turbo-instruct',
      prompt: 'This is a test prompt',
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: { completion_tokens: number } | undefined;
    const ids = new Set<string>();
    for await (const chunk of stream) {
      if (chunk.id) ids.add(chunk.id);
      for (const c of chunk.choices) {
        text += c.text;
        finish = c.finish_reason ?? finish;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(ids.size).toBe(1);
    expect(finish).toBe('length');
    expect(tokens(text, 'cl100k_base')).toBe(12);
    expect(usage!.completion_tokens).toBe(12);
  });
});

describe('embeddings', () => {
  it('returns float vectors of the deployment size (ada-002: 1536)', async () => {
    const r = await azureClient(sim).embeddings.create({ model: 'embedding', input: 'This is some text to generate embeddings for', encoding_format: 'float' });
    expect(r.object).toBe('list');
    expect(r.data).toHaveLength(1);
    expect(r.data[0]!.object).toBe('embedding');
    expect(r.data[0]!.embedding).toHaveLength(1536);
    expect(r.usage).toEqual({ prompt_tokens: 8, total_tokens: 8 });
  });

  it('honours dimensions for text-embedding-3 models, with unit-length vectors', async () => {
    const r = await openaiClient(sim).embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta', 'gamma'], dimensions: 10, encoding_format: 'float' });
    expect(r.data.map((d) => d.index)).toEqual([0, 1, 2]);
    for (const d of r.data) {
      expect(d.embedding).toHaveLength(10);
      expect(Math.hypot(...d.embedding)).toBeCloseTo(1, 5);
    }
  });

  it('sends base64 that decodes to the same vector as float (the SDK default is base64)', async () => {
    const input = 'the same text gives the same vector';
    const asFloat = await azureClient(sim).embeddings.create({ model: 'text-embedding-3-large', input, dimensions: 64, encoding_format: 'float' });
    const raw = await fetch(`${sim.url}/openai/deployments/text-embedding-3-large/embeddings?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ input, dimensions: 64, encoding_format: 'base64' }),
    });
    const b64 = ((await raw.json()) as { data: { embedding: string }[] }).data[0]!.embedding;
    expect(typeof b64).toBe('string');
    const bytes = Buffer.from(b64, 'base64');
    const decoded = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    expect(decoded).toHaveLength(64);
    decoded.forEach((v, i) => expect(v).toBeCloseTo(asFloat.data[0]!.embedding[i]!, 6));
    // And the SDK's own default (base64, decoded by the SDK) agrees too.
    const viaSdk = await azureClient(sim).embeddings.create({ model: 'text-embedding-3-large', input, dimensions: 64 });
    viaSdk.data[0]!.embedding.forEach((v, i) => expect(v).toBeCloseTo(asFloat.data[0]!.embedding[i]!, 6));
  });

  it('accepts token-id arrays as input', async () => {
    const r = await azureClient(sim).embeddings.create({ model: 'embedding', input: [[1, 2, 3], [4, 5]], encoding_format: 'float' });
    expect(r.data).toHaveLength(2);
    expect(r.usage.prompt_tokens).toBe(5);
  });
});
