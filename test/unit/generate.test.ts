import { describe, it, expect } from 'vitest';
import { generate, type GenerateOptions } from '../../src/core/generation/index.js';
import { makeDeployment, type Deployment } from '../../src/core/config/deployments.js';
import { findModel, type Operation } from '../../src/core/models.js';
import { getEncoding } from '../../src/core/tokens/tokenizer.js';
import { tokenEvents } from '../../src/core/generation/token-events.js';
import { countChatPrompt, countInput } from '../../src/core/generation/prompt-tokens.js';
import type { Answer, ErrorAnswer, JsonAnswer, StreamAnswer } from '../../src/core/generation/answer.js';
import type { ChatMessage } from '../../src/core/generation/requests.js';

function deployment(model: string, name = `dep-${model}`): Deployment {
  const m = findModel(model);
  if (!m) throw new Error(`no model ${model}`);
  return makeDeployment(name, m);
}

const gpt4 = deployment('gpt-4');
const gpt4o = deployment('gpt-4o');
const gpt35 = deployment('gpt-3.5-turbo');
const o3mini = deployment('o3-mini');
const small = deployment('text-embedding-3-small');
const ada = deployment('text-embedding-ada-002');

/** Most tests check exact lengths: the Python-compatible `fill` mode; `natural` has its own tests. */
const FILL: GenerateOptions = { answerLength: 'fill' };

function json(op: Operation, body: unknown, dep: Deployment, options: GenerateOptions = FILL): any {
  const answer = generate(op, body, dep, options);
  if (answer.kind !== 'json') throw new Error(`expected json, got ${answer.kind}: ${JSON.stringify(answer)}`);
  const text = (answer as JsonAnswer).body;
  const parsed = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  return Object.assign(parsed, { __answer: answer });
}

/** A stream answer with its token events rendered (`events`), as the writer renders them. */
function stream(op: Operation, body: unknown, dep: Deployment): StreamAnswer & { events: string[] } {
  const answer = generate(op, body, dep, FILL);
  if (answer.kind !== 'stream') throw new Error(`expected stream, got ${answer.kind}: ${JSON.stringify(answer)}`);
  // head and tail are pieces written one after another: the events are in their joined text.
  const events = (pieces: readonly string[]): string[] => pieces.join('').split(/(?<=\n\n)/);
  return { ...answer, head: events(answer.head), tail: events(answer.tail), events: [...tokenEvents(answer.tokens)] };
}

function error(op: Operation, body: unknown, dep: Deployment): ErrorAnswer['error'] {
  const answer: Answer = generate(op, body, dep, FILL);
  if (answer.kind !== 'error') throw new Error(`expected error, got ${answer.kind}`);
  return answer.error;
}

/** `data: {...}\n\n` → the parsed object. */
function event(e: string): any {
  expect(e.startsWith('data: ')).toBe(true);
  expect(e.endsWith('\n\n')).toBe(true);
  return JSON.parse(e.slice('data: '.length, -2));
}

const messages: ChatMessage[] = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'What is the meaning of life?' },
];

describe('answer length', () => {
  const NATURAL: GenerateOptions = { answerLength: 'natural' };

  it('natural: a generous limit is a cap, not a size — whole sentences, finish_reason "stop"', () => {
    const enc = getEncoding(gpt4o.model.encoding);
    for (let i = 0; i < 50; i++) {
      const r = json('chat', { messages, max_tokens: 4_000 }, gpt4o, NATURAL);
      const c = r.choices[0];
      expect(c.finish_reason).toBe('stop');
      expect(c.message.content.endsWith('.')).toBe(true);
      expect(r.usage.completion_tokens).toBe(enc.encode(c.message.content).length);
      expect(r.usage.completion_tokens).toBeLessThan(4_000);
    }
  });

  it('natural: a tight limit cuts the answer at exactly the limit, finish_reason "length"', () => {
    for (let i = 0; i < 50; i++) {
      const r = json('chat', { messages, max_tokens: 7 }, gpt4o, NATURAL);
      expect(r.choices[0].finish_reason).toBe('length');
      expect(r.usage.completion_tokens).toBe(7);
    }
  });

  it('fill: the answer is exactly the limit, as in the Python simulator', () => {
    const r = json('chat', { messages, max_tokens: 600 }, gpt4o, FILL);
    expect(r.choices[0].finish_reason).toBe('length');
    expect(r.usage.completion_tokens).toBe(600);
  });

  it('rejects answers beyond the per-request budget (choices × limit), naming the parameter', () => {
    const e = error('chat', { messages, max_completion_tokens: 16_384, n: 128 }, gpt4o);
    expect(e.status).toBe(400);
    expect(e.param).toBe('n');
    const c = error('completions', { prompt: Array.from({ length: 20 }, () => 'x'), n: 10 }, gpt35);
    expect(c.param).toBe('n');
    expect(c.message).toContain('128 choices');
  });
});

describe('chat (JSON)', () => {
  for (const dep of [gpt4, gpt4o]) {
    it(`${dep.model.name}: usage matches the prompt count and the re-encoded contents`, () => {
      const enc = getEncoding(dep.model.encoding);
      for (let i = 0; i < 10; i++) {
        const r = json('chat', { messages, n: 1 + (i % 3) }, dep);
        expect(r.object).toBe('chat.completion');
        expect(r.model).toBe(dep.model.name);
        expect(r.id).toMatch(/^chatcmpl-/);
        expect(r.usage.prompt_tokens).toBe(countChatPrompt(messages, dep.model, enc));
        const reEncoded = r.choices.reduce((sum: number, c: any) => sum + enc.encode(c.message.content).length, 0);
        expect(r.usage.completion_tokens).toBe(reEncoded);
        expect(r.usage.total_tokens).toBe(r.usage.prompt_tokens + r.usage.completion_tokens);
        expect(r.__answer.promptTokens).toBe(r.usage.prompt_tokens);
        expect(r.__answer.completionTokens).toBe(r.usage.completion_tokens);
      }
    });
  }

  it('max_tokens → finish_reason "length" and exactly that many tokens per choice', () => {
    const enc = getEncoding('cl100k_base');
    for (const max of [1, 2, 7, 50, 333]) {
      const r = json('chat', { messages, max_tokens: max, n: 2 }, gpt4);
      expect(r.choices).toHaveLength(2);
      for (const c of r.choices) {
        expect(c.finish_reason).toBe('length');
        expect(enc.encode(c.message.content).length).toBe(max);
        expect(c.message.role).toBe('assistant');
      }
      expect(r.usage.completion_tokens).toBe(2 * max);
    }
  });

  it('max_completion_tokens behaves like max_tokens', () => {
    const enc = getEncoding('o200k_base');
    const r = json('chat', { messages, max_completion_tokens: 42 }, gpt4o);
    expect(r.choices[0].finish_reason).toBe('length');
    expect(enc.encode(r.choices[0].message.content).length).toBe(42);
    expect(r.usage.completion_tokens).toBe(42);
  });

  it('no limit → finish_reason "stop" and content ending with "."', () => {
    for (let i = 0; i < 30; i++) {
      const r = json('chat', { messages }, i % 2 ? gpt4 : gpt4o);
      expect(r.choices).toHaveLength(1);
      expect(r.choices[0].finish_reason).toBe('stop');
      expect(r.choices[0].message.content.endsWith('.')).toBe(true);
      expect(r.choices[0].message.content.length).toBeGreaterThan(0);
    }
  });

  it('without a limit, the answer never runs past the context window', () => {
    const enc = getEncoding('cl100k_base');
    const at = (k: number): ChatMessage[] => [{ role: 'user', content: 'hi' + ' hi'.repeat(k) }];
    let k = 8_000;
    for (let step = 0; step < 5; step++) k += 8_192 - 5 - countChatPrompt(at(k), gpt4.model, enc);
    const prompt = at(k);
    expect(countChatPrompt(prompt, gpt4.model, enc)).toBe(8_192 - 5);
    const r = json('chat', { messages: prompt }, gpt4);
    expect(r.usage.prompt_tokens).toBe(8_187);
    expect(r.usage.completion_tokens).toBe(5);
    expect(r.choices[0].finish_reason).toBe('length');
    expect(enc.encode(r.choices[0].message.content).length).toBe(5);
  });

  it('n=3 → three choices indexed 0..2', () => {
    const r = json('chat', { messages, n: 3 }, gpt4);
    expect(r.choices.map((c: any) => c.index)).toEqual([0, 1, 2]);
  });

  it('a reasoning model accepts max_completion_tokens', () => {
    const r = json('chat', { messages, max_completion_tokens: 5 }, o3mini);
    expect(r.usage.completion_tokens).toBe(5);
  });
});

describe('chat (stream)', () => {
  it('has the service shape: filter event, one id, tokens reassemble the text, [DONE]', () => {
    const enc = getEncoding('cl100k_base');
    const s = stream('chat', { messages, stream: true, n: 2, max_tokens: 25 }, gpt4);
    const first = event(s.head[0]!);
    expect(first.choices).toEqual([]);
    expect(Array.isArray(first.prompt_filter_results)).toBe(true);
    expect(first.prompt_filter_results.length).toBeGreaterThan(0);

    const chunks = [...s.head.slice(1), ...s.events, ...s.tail.slice(0, -1)].map(event);
    const ids = new Set(chunks.map((c) => c.id));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^chatcmpl-/);
    for (const c of chunks) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c).not.toHaveProperty('usage');
    }

    const texts = ['', ''];
    for (const e of s.events) {
      const c = event(e);
      expect(c.choices).toHaveLength(1);
      texts[c.choices[0].index] += c.choices[0].delta.content;
    }
    for (const t of texts) expect(enc.encode(t).length).toBe(25);
    expect(s.events).toHaveLength(50);
    expect(s.completionTokens).toBe(50);
    expect(s.promptTokens).toBe(countChatPrompt(messages, gpt4.model, enc));

    const finishes = s.tail.slice(0, -1).map(event);
    expect(finishes.map((c) => c.choices[0].index)).toEqual([0, 1]);
    expect(finishes.every((c) => c.choices[0].finish_reason === 'length')).toBe(true);
    expect(s.tail[s.tail.length - 1]).toBe('data: [DONE]\n\n');
  });

  it('without a limit the streamed text ends with "." and finish_reason is "stop"', () => {
    for (let i = 0; i < 10; i++) {
      const s = stream('chat', { messages, stream: true }, gpt4o);
      const text = s.events.map((e) => event(e).choices[0].delta.content).join('');
      expect(text.endsWith('.')).toBe(true);
      expect(getEncoding('o200k_base').encode(text).length).toBe(s.completionTokens);
      const finish = event(s.tail[0]!);
      expect(finish.choices[0].finish_reason).toBe('stop');
    }
  });

  it('include_usage adds a usage event with no choices; every other chunk has "usage": null', () => {
    const s = stream('chat', { messages, stream: true, stream_options: { include_usage: true }, max_tokens: 10 }, gpt4);
    expect(s.tail[s.tail.length - 1]).toBe('data: [DONE]\n\n');
    const usageEvent = event(s.tail[s.tail.length - 2]!);
    expect(usageEvent.choices).toEqual([]);
    expect(usageEvent.usage.completion_tokens).toBe(10);
    expect(usageEvent.usage.prompt_tokens).toBe(s.promptTokens);
    expect(usageEvent.usage.total_tokens).toBe(s.promptTokens + 10);
    const others = [...s.head.slice(1), ...s.events, ...s.tail.slice(0, -2)].map(event);
    expect(others.length).toBeGreaterThan(10);
    for (const c of others) {
      expect(c).toHaveProperty('usage');
      expect(c.usage).toBeNull();
      expect(c.id).toBe(usageEvent.id);
    }
  });
});

describe('chat errors', () => {
  it('missing messages → 400 missing_required_parameter (messages)', () => {
    const e = error('chat', { max_tokens: 10 }, gpt4);
    expect(e.status).toBe(400);
    expect(e.code).toBe('missing_required_parameter');
    expect(e.param).toBe('messages');
  });

  it('max_tokens "ten" → invalid_type (max_tokens)', () => {
    const e = error('chat', { messages, max_tokens: 'ten' }, gpt4);
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_type');
    expect(e.param).toBe('max_tokens');
  });

  it('a reasoning model with max_tokens → unsupported_parameter', () => {
    const e = error('chat', { messages, max_tokens: 10 }, o3mini);
    expect(e.status).toBe(400);
    expect(e.code).toBe('unsupported_parameter');
    expect(e.param).toBe('max_tokens');
  });

  it('max_tokens above the model\'s output limit → 400', () => {
    const e = error('chat', { messages, max_tokens: gpt4o.model.maxOutputTokens + 1 }, gpt4o);
    expect(e.status).toBe(400);
    expect(e.param).toBe('max_tokens');
    // exactly the limit is fine
    const r = json('chat', { messages, max_tokens: gpt4o.model.maxOutputTokens }, gpt4o);
    expect(r.usage.completion_tokens).toBe(gpt4o.model.maxOutputTokens);
  });

  it('a prompt over the context window → context_length_exceeded', () => {
    const enc = getEncoding('cl100k_base');
    const long = 'hello '.repeat(9_000);
    expect(enc.count(long)).toBeGreaterThan(8_192);
    const e = error('chat', { messages: [{ role: 'user', content: long }] }, gpt4);
    expect(e.status).toBe(400);
    expect(e.code).toBe('context_length_exceeded');
    expect(e.message).toContain('8192');
  });

  it('prompt + max_tokens over the context window → context_length_exceeded', () => {
    const e = error('chat', { messages, max_tokens: 8_192 }, gpt4);
    expect(e.status).toBe(400);
    expect(e.code).toBe('context_length_exceeded');
  });

  it('a body that is not an object → 400', () => {
    const e = error('chat', [1, 2], gpt4);
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_type');
  });

  it('an unknown operation → 500', () => {
    const e = error('responses' as Operation, {}, gpt4);
    expect(e.status).toBe(500);
  });
});

describe('completions', () => {
  it('defaults to 16 tokens with finish_reason "length"', () => {
    const enc = getEncoding('cl100k_base');
    const r = json('completions', { prompt: 'This is a test prompt' }, gpt35);
    expect(r.object).toBe('text_completion');
    expect(r.id).toMatch(/^cmpl-/);
    expect(r.choices).toHaveLength(1);
    expect(r.choices[0].finish_reason).toBe('length');
    expect(enc.encode(r.choices[0].text).length).toBe(16);
    expect(r.usage.completion_tokens).toBe(16);
    expect(r.usage.prompt_tokens).toBe(5);
  });

  it('two prompts with n=2 → four choices indexed 0..3; prompt tokens summed', () => {
    const enc = getEncoding('cl100k_base');
    const prompt = ['This is a test prompt', 'This is some text to generate embeddings for'];
    const r = json('completions', { prompt, n: 2, max_tokens: 9 }, gpt35);
    expect(r.choices.map((c: any) => c.index)).toEqual([0, 1, 2, 3]);
    for (const c of r.choices) expect(enc.encode(c.text).length).toBe(9);
    expect(r.usage.prompt_tokens).toBe(5 + 8);
    expect(r.usage.completion_tokens).toBe(36);
  });

  it('streams: filter event, token events per choice, finish events, [DONE]', () => {
    const enc = getEncoding('cl100k_base');
    const s = stream('completions', { prompt: ['a', 'b'], stream: true, max_tokens: 6, stream_options: { include_usage: true } }, gpt35);
    const first = event(s.head[0]!);
    expect(first.choices).toEqual([]);
    expect(first.prompt_filter_results).toBeDefined();
    const texts = ['', ''];
    for (const e of s.events) {
      const c = event(e);
      expect(c.object).toBe('text_completion');
      expect(c.usage).toBeNull();
      texts[c.choices[0].index] += c.choices[0].text;
    }
    for (const t of texts) expect(enc.encode(t).length).toBe(6);
    expect(s.tail[s.tail.length - 1]).toBe('data: [DONE]\n\n');
    const usage = event(s.tail[s.tail.length - 2]!);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBe(12);
    const finishes = s.tail.slice(0, -2).map(event);
    expect(finishes.map((c) => c.choices[0].finish_reason)).toEqual(['length', 'length']);
    const ids = new Set([...s.events, ...s.tail.slice(0, -1)].map((e) => event(e).id));
    expect(ids.size).toBe(1);
  });

  it('token-id prompts count their ids', () => {
    const r = json('completions', { prompt: [[1, 2, 3], [4, 5]], max_tokens: 3 }, gpt35);
    expect(r.usage.prompt_tokens).toBe(5);
    expect(r.choices).toHaveLength(2);
    expect(r.usage.completion_tokens).toBe(6);
  });

  it('max_tokens above the model limit → 400', () => {
    const e = error('completions', { prompt: 'x', max_tokens: gpt35.model.maxOutputTokens + 1 }, gpt35);
    expect(e.status).toBe(400);
    expect(e.param).toBe('max_tokens');
  });

  it('missing prompt → missing_required_parameter (prompt)', () => {
    const e = error('completions', {}, gpt35);
    expect(e.status).toBe(400);
    expect(e.code).toBe('missing_required_parameter');
    expect(e.param).toBe('prompt');
  });
});

describe('embeddings', () => {
  const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

  it('text-embedding-3-small with dimensions 10 → 10 values of unit norm', () => {
    for (const input of ['hello', 'another text', 'x'.repeat(500)]) {
      const r = json('embeddings', { input, dimensions: 10 }, small);
      expect(r.object).toBe('list');
      expect(r.data).toHaveLength(1);
      expect(r.data[0].embedding).toHaveLength(10);
      expect(Math.abs(norm(r.data[0].embedding) - 1)).toBeLessThan(1e-6);
    }
  });

  it('defaults to the deployment size (1536) with unit norm', () => {
    const r = json('embeddings', { input: 'hello' }, small);
    expect(r.data[0].embedding).toHaveLength(1536);
    expect(Math.abs(norm(r.data[0].embedding) - 1)).toBeLessThan(1e-6);
  });

  it('ada-002 with dimensions → 400', () => {
    const e = error('embeddings', { input: 'hello', dimensions: 10 }, ada);
    expect(e.status).toBe(400);
    expect(e.param).toBe('dimensions');
  });

  it('dimensions above the model size → 400', () => {
    const e = error('embeddings', { input: 'hello', dimensions: 1537 }, small);
    expect(e.status).toBe(400);
    expect(e.param).toBe('dimensions');
  });

  it('the same input gives the same vector across calls; different inputs differ', () => {
    const a = json('embeddings', { input: 'The same text' }, ada).data[0].embedding;
    const b = json('embeddings', { input: 'The same text' }, ada).data[0].embedding;
    const c = json('embeddings', { input: 'Other text' }, ada).data[0].embedding;
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('base64 decodes (little-endian float32) to the float answer within 1e-6', () => {
    for (const input of ['hello', 'base64 please']) {
      const floats: number[] = json('embeddings', { input, dimensions: 64 }, small).data[0].embedding;
      const b64: string = json('embeddings', { input, dimensions: 64, encoding_format: 'base64' }, small).data[0].embedding;
      expect(typeof b64).toBe('string');
      const buf = Buffer.from(b64, 'base64');
      expect(buf.length).toBe(64 * 4);
      const decoded = Array.from({ length: 64 }, (_, i) => buf.readFloatLE(i * 4));
      decoded.forEach((x, i) => expect(Math.abs(x - floats[i]!)).toBeLessThan(1e-6));
      const viaArray = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
      expect(Array.from(viaArray)).toEqual(decoded);
    }
  });

  it('a batch of 150 inputs (indices of 1–3 digits, repeats served from the cache) is exact JSON, in order', () => {
    const input = Array.from({ length: 150 }, (_, i) => `batch item ${i % 40} ünïcödé`);
    for (const encoding_format of ['float', 'base64'] as const) {
      const r = json('embeddings', { input, dimensions: 8, encoding_format }, small);
      expect(r.data.map((d: any) => d.index)).toEqual(input.map((_, i) => i));
      expect(r.data[41].embedding).toEqual(r.data[1].embedding);
      expect(r.data[42].embedding).not.toEqual(r.data[1].embedding);
      expect(r.usage.prompt_tokens).toBe(input.reduce((n, t) => n + getEncoding('cl100k_base').count(t), 0));
    }
  });

  it('array input → one item per input with index i; usage sums the counts', () => {
    const enc = getEncoding('cl100k_base');
    const input = ['This is a test prompt', 'This is some text to generate embeddings for', 'third'];
    const r = json('embeddings', { input }, ada);
    expect(r.data.map((d: any) => d.index)).toEqual([0, 1, 2]);
    expect(r.data.every((d: any) => d.object === 'embedding' && d.embedding.length === 1536)).toBe(true);
    const expected = countInput(input, enc).reduce((a, b) => a + b, 0);
    expect(r.usage.prompt_tokens).toBe(expected);
    expect(r.usage.prompt_tokens).toBe(5 + 8 + enc.count('third'));
    expect(r.usage.total_tokens).toBe(expected);
    // each item is the same vector as embedding that input alone
    const alone = json('embeddings', { input: input[1] }, ada).data[0].embedding;
    expect(r.data[1].embedding).toEqual(alone);
  });

  it('token-id inputs: one item per array, usage counts ids', () => {
    const r = json('embeddings', { input: [[1, 2, 3], [4, 5]] }, ada);
    expect(r.data).toHaveLength(2);
    expect(r.usage.prompt_tokens).toBe(5);
    const single = json('embeddings', { input: [1, 2, 3, 4] }, ada);
    expect(single.data).toHaveLength(1);
    expect(single.usage.prompt_tokens).toBe(4);
  });

  it('missing input → missing_required_parameter (input)', () => {
    const e = error('embeddings', {}, ada);
    expect(e.code).toBe('missing_required_parameter');
    expect(e.param).toBe('input');
  });
});
