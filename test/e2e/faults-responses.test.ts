/**
 * Faults on purpose on the Responses API: every fault that applies to POST /responses,
 * streamed and not, through the official `openai` SDK (`responses.create`, `responses.stream()`)
 * and raw sockets — typed errors, the SDK's view of a cut or failed stream, its retry of injected
 * 429/5xx honouring retry-after-ms; a faulted response is neither stored nor charged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faultHeaders } from '../helpers/clients.js';
import { rawPost, splitAnswer } from '../helpers/raw-http.js';
import { checkEventSequence, parseEventStream } from '../helpers/response-events.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
const RESPONSES = '/openai/v1/responses';
const input = 'Tell me about the sea in a few sentences.';

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'aoai-sim-fault-responses-')), 'deployments.json');
  // 2,000 tokens a minute: 2 requests per 10 s (AOAI's rule), so a charged fault would show.
  writeFileSync(file, JSON.stringify({ gpt4o: { model: 'gpt-4o', tokensPerMinute: 10_000_000 }, small: { model: 'gpt-4o', tokensPerMinute: 2_000 } }));
  sim = await startSimulator({
    OPENAI_DEPLOYMENT_CONFIG_PATH: file,
    SIMULATOR_THREADS: '2',
    SIMULATOR_FAULT_HEADERS: 'on',
    SIMULATOR_FAULTS: JSON.stringify({
      scenarios: {
        'twice-429': { schedule: ['429;retry_after_ms=1200', '429;retry_after_ms=1200', 'ok'], on_exhausted: 'ok' },
        'server-errors': { schedule: ['500', '503;retry_after_ms=10', 'ok'], on_exhausted: 'ok' },
      },
    }),
  });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

const client = (fault?: string, scenario?: string, maxRetries = 0, timeout = 5000): OpenAI =>
  new OpenAI({
    baseURL: `${sim.url}/openai/v1`,
    apiKey: sim.apiKey,
    maxRetries,
    timeout,
    defaultHeaders: faultHeaders(fault, scenario),
  });

/** A raw POST /responses: the answer's head and (de-chunked) body, and whether the server closed. */
const raw = async (body: object, headers: Record<string, string>, waitMs?: number): Promise<{ head: string; body: string; closed: boolean }> => {
  const { text, closed } = await rawPost(sim, RESPONSES, body, headers, waitMs);
  return { ...splitAnswer(text), closed };
};

const typesOf = (text: string): string[] => [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]!);

describe('Responses API: faults answered instead of the request', () => {
  it('429 is a RateLimitError in the service wording (Responses_Create), with retry-after and retry-after-ms', async () => {
    const err = (await client('429;retry_after_ms=1500').responses.create({ model: 'gpt4o', input }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('429');
    expect(err.message).toContain('Requests to the Responses_Create Operation under Azure OpenAI API version');
    expect(err.headers?.get('retry-after')).toBe('2');
    expect(err.headers?.get('retry-after-ms')).toBe('1500');
    expect(err.headers?.get('x-simulator-fault-injected')).toBe('429');
    const demand = (await client('429;variant=high_demand').responses.create({ model: 'gpt4o', input, stream: true }).catch((e: unknown) => e)) as Error;
    expect(demand).toBeInstanceOf(OpenAI.RateLimitError);
    expect(demand.message).toContain('The system is currently experiencing high demand');
  });

  it('500 and 503 are InternalServerErrors with the server_error envelope, streamed or not', async () => {
    const e500 = (await client('500').responses.create({ model: 'gpt4o', input }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e500.type).toBe('server_error');
    const e503 = (await client('503;retry_after_ms=2000').responses.create({ model: 'gpt4o', input, stream: true }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(e503).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e503.status).toBe(503);
    expect(e503.headers?.get('retry-after')).toBe('2');
  });

  it('408 and 504 answer after their delay', async () => {
    for (const status of [408, 504]) {
      const started = Date.now();
      const err = (await client(`${status};after_ms=250`).responses.create({ model: 'gpt4o', input }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(status);
      expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    }
  });

  it('content_filter_prompt is a 400 content_filter with innererror', async () => {
    const err = (await client('content_filter_prompt;category=violence;severity=high').responses.create({ model: 'gpt4o', input }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('content_filter');
    const inner = (err.error as { innererror: { code: string; content_filter_result: Record<string, unknown> } }).innererror;
    expect(inner.code).toBe('ResponsibleAIPolicyViolation');
    expect(inner.content_filter_result.violence).toEqual({ filtered: true, severity: 'high' });
  });

  it('hang never answers (the client times out); drop closes before the status line', async () => {
    const hung = await client('hang', undefined, 0, 400).responses.create({ model: 'gpt4o', input }).catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    const dropped = await client('drop').responses.create({ model: 'gpt4o', input, stream: true }).catch((e: unknown) => e);
    expect(dropped).toBeInstanceOf(OpenAI.APIConnectionError);
    const { head, closed } = await raw({ model: 'gpt4o', input }, { 'x-simulator-fault': 'drop' });
    expect(closed).toBe(true);
    expect(head).toBe('');
  });

  it("the SDK's retry retries injected 429s honouring retry-after-ms, and 500/503, then succeeds", async () => {
    const started = Date.now();
    const { data, response } = await client(undefined, 'twice-429', 2).responses.create({ model: 'gpt4o', input }).withResponse();
    expect(data.status).toBe('completed');
    expect(response.headers.get('x-simulator-fault-injected')).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(2400); // two waits of 1.2 s, not the SDK's own backoff
    // The answer that succeeded is stored as usual.
    expect((await client().responses.retrieve(data.id)).status).toBe('completed');
    const retried = await client(undefined, 'server-errors', 2).responses.create({ model: 'gpt4o', input, stream: true });
    const types: string[] = [];
    for await (const event of retried) types.push(event.type);
    expect(types.at(-1)).toBe('response.completed');
  });
});

describe('Responses API: faults in the answer as it is written', () => {
  it('ttft delays the first byte; stall pauses the stream after event k; both complete', async () => {
    let started = Date.now();
    const { data, response } = await client('ttft;ms=300').responses.create({ model: 'gpt4o', input }).withResponse();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(data.status).toBe('completed');
    expect(response.headers.get('x-simulator-fault-injected')).toBe('ttft');
    started = Date.now();
    const { head, body } = await raw({ model: 'gpt4o', input, stream: true }, { 'x-simulator-fault': 'stall;after_chunks=5;ms=300' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(head).toContain('x-simulator-fault-injected: stall');
    expect(checkEventSequence(parseEventStream(body)).status).toBe('completed');
  });

  it('disconnect cuts the stream after event k: no terminal event, and the SDK sees the cut', async () => {
    const { body, closed } = await raw({ model: 'gpt4o', input, stream: true }, { 'x-simulator-fault': 'disconnect;after_chunks=5' });
    expect(closed).toBe(true);
    expect(typesOf(body)).toHaveLength(5);
    expect(body).not.toContain('response.completed');
    const stream = client('disconnect;after_chunks=6').responses.stream({ model: 'gpt4o', input });
    const err = await stream.finalResponse().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const timed = await raw({ model: 'gpt4o', input, stream: true }, { 'x-simulator-fault': 'disconnect;after_ms=200' });
    expect(timed.closed).toBe(true);
    expect(timed.body).not.toContain('response.completed');
  });

  it('malformed_chunk: event k carries invalid JSON, which the SDK fails to parse; a whole body is cut', async () => {
    const { body } = await raw({ model: 'gpt4o', input, stream: true }, { 'x-simulator-fault': 'malformed_chunk;at_chunk=4' });
    const frames = body.split('\n\n').filter((f) => f !== '');
    expect(frames[4]).toMatch(/^event: response\.output_text\.delta\ndata: \{/);
    expect(() => JSON.parse(frames[4]!.split('\ndata: ')[1]!)).toThrow();
    expect(() => JSON.parse(frames[5]!.split('\ndata: ')[1]!)).not.toThrow();
    const stream = await client('malformed_chunk;at_chunk=4').responses.create({ model: 'gpt4o', input, stream: true });
    const err = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyntaxError);
    expect(await client('malformed_chunk').responses.create({ model: 'gpt4o', input }).catch((e: unknown) => e)).toBeInstanceOf(Error);
  });

  it('no_done: the stream ends cleanly without response.completed', async () => {
    const { body, closed } = await raw({ model: 'gpt4o', input, stream: true }, { 'x-simulator-fault': 'no_done' });
    expect(closed).toBe(true);
    const types = typesOf(body);
    expect(types.at(-1)).toBe('response.output_item.done');
    expect(types).not.toContain('response.completed');
    const seen: string[] = [];
    for await (const event of await client('no_done').responses.create({ model: 'gpt4o', input, stream: true })) seen.push(event.type);
    expect(seen).toContain('response.output_text.done');
    expect(seen.some((t) => t === 'response.completed' || t === 'response.incomplete' || t === 'response.failed')).toBe(false);
  });

  it('error_event: an error event, then response.failed, in sequence; the SDK raises an APIError', async () => {
    const { body } = await raw({ model: 'gpt4o', input, stream: true }, { 'x-simulator-fault': 'error_event;after_chunks=5' });
    const events = parseEventStream(body);
    const failed = checkEventSequence(events); // sequence numbers 0…n, the terminal event last
    expect(events.map((e) => e.type).slice(-2)).toEqual(['error', 'response.failed']);
    expect(events.at(-2)!.sequence_number).toBe(5);
    expect((events.at(-2) as unknown as { error: { type: string; message: string } }).error.type).toBe('server_error');
    expect(failed.status).toBe('failed');
    expect((failed.error as { code: string }).code).toBe('server_error');
    expect(failed.id).toBe((events[0] as unknown as { response: { id: string } }).response.id);
    const stream = await client('error_event;after_chunks=5').responses.create({ model: 'gpt4o', input, stream: true });
    const err = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('The server had an error while processing your request');
  });

  it('content_filter_completion: partial output, then response.incomplete with reason content_filter (streamed and whole)', async () => {
    const { body } = await raw({ model: 'gpt4o', input, stream: true }, { 'x-simulator-fault': 'content_filter_completion;after_chunks=7;category=hate' });
    const events = parseEventStream(body);
    const final = checkEventSequence(events);
    expect(events.at(-1)!.type).toBe('response.incomplete');
    expect(events.at(-1)!.sequence_number).toBe(7);
    expect(final.status).toBe('incomplete');
    expect(final.incomplete_details).toEqual({ reason: 'content_filter' });
    const filters = final.content_filters as { source_type: string; blocked: boolean; content_filter_results: Record<string, { filtered: boolean }> }[];
    expect(filters.find((f) => f.source_type === 'completion')).toMatchObject({ blocked: true, content_filter_results: { hate: { filtered: true } } });
    // The SDK's accumulator takes the terminal event's response: the partial text is there.
    const streamed = await client('content_filter_completion;after_chunks=7').responses.stream({ model: 'gpt4o', input }).finalResponse();
    expect(streamed.status).toBe('incomplete');
    expect(streamed.incomplete_details?.reason).toBe('content_filter');
    expect(streamed.output_text.length).toBeGreaterThan(0);
    expect(streamed.usage?.output_tokens).toBe(3); // the three deltas before event 7
    const whole = await client('content_filter_completion').responses.create({ model: 'gpt4o', input });
    expect(whole.status).toBe('incomplete');
    expect(whole.incomplete_details?.reason).toBe('content_filter');
    expect(whole.output_text).toBe('');
  });
});

describe('Responses API: a faulted response is neither stored nor charged', () => {
  it('a response changed by a fault is not stored; the same request without one is', async () => {
    const faulted = await client('ttft;ms=1').responses.create({ model: 'gpt4o', input });
    expect(await client().responses.retrieve(faulted.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    const filtered = await client('content_filter_completion').responses.create({ model: 'gpt4o', input });
    expect(await client().responses.retrieve(filtered.id).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
    const plain = await client().responses.create({ model: 'gpt4o', input });
    expect((await client().responses.retrieve(plain.id)).id).toBe(plain.id);
  });

  it('injected errors are not charged to the deployment windows', async () => {
    for (const fault of ['429', '500', '503', '504;after_ms=0', 'content_filter_prompt']) {
      expect((await client(fault).responses.create({ model: 'small', input }).catch((e: unknown) => e)) instanceof OpenAI.APIError).toBe(true);
    }
    // Two requests per 10 s: both still there after five injected errors.
    const first = await client().responses.create({ model: 'small', input, max_output_tokens: 16 }).withResponse();
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    const second = await client().responses.create({ model: 'small', input, max_output_tokens: 16 });
    expect(second.id).toMatch(/^resp_/); // answered, not refused with a 429
  });
});

describe('Responses API: a storm of every fault', () => {
  it('every fault at once, streamed and not, then a normal response is answered and stored', async () => {
    const faults = ['429', '500', '503', '408;after_ms=50', '504;after_ms=50', 'hang', 'drop', 'ttft;ms=50', 'stall;ms=50', 'disconnect', 'disconnect;after_ms=50', 'malformed_chunk', 'no_done', 'error_event', 'content_filter_prompt', 'content_filter_completion'];
    await Promise.all(faults.flatMap((f) => [raw({ model: 'gpt4o', input, stream: true }, { 'x-simulator-fault': f }, 500), raw({ model: 'gpt4o', input }, { 'x-simulator-fault': f }, 500)]));
    const ok = await client().responses.create({ model: 'gpt4o', input });
    expect(ok.status).toBe('completed');
    expect((await client().responses.retrieve(ok.id)).id).toBe(ok.id);
  });
});
