/**
 * Faults on purpose: each fault through the official `openai` SDK and raw sockets, the
 * SDK's own retry over injected 429/5xx, a schedule across both front-end threads, seeded rates
 * repeated request for request, a bad fault configuration answered 400, and a storm of every fault
 * at once followed by a normal answer.
 */
import OpenAI, { AzureOpenAI } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, azureClient, faultHeaders } from '../helpers/clients.js';
import { rawPost } from '../helpers/raw-http.js';
import { patchConfig, startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
const messages = [{ role: 'user' as const, content: 'hello' }];
const CHAT = `/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`;

beforeAll(async () => {
  sim = await startSimulator({
    SIMULATOR_THREADS: '2',
    SIMULATOR_FAULT_HEADERS: 'on',
    SIMULATOR_FAULTS: JSON.stringify({
      seed: 7,
      scenarios: {
        'twice-429': { schedule: ['429;retry_after_ms=1200', '429;retry_after_ms=1200', 'ok'], on_exhausted: 'ok' },
        'server-errors': { schedule: ['500', '503;retry_after_ms=10', 'ok'], on_exhausted: 'ok' },
        'loop-3': { schedule: ['500', '503', 'ok'], on_exhausted: 'loop' },
        flaky: { rates: { '500': 0.3, '503': 0.2 } },
      },
    }),
  });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

const client = (fault?: string, scenario?: string, maxRetries = 0): AzureOpenAI =>
  new AzureOpenAI({
    endpoint: sim.url,
    apiKey: sim.apiKey,
    apiVersion: API_VERSION,
    maxRetries,
    timeout: 5000,
    defaultHeaders: faultHeaders(fault, scenario),
  });

const raw = (path: string, body: object, headers: Record<string, string>, waitMs?: number): Promise<{ text: string; closed: boolean }> => rawPost(sim, path, body, headers, waitMs);

const dataEvents = (text: string): string[] => [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]!);

describe('faults answered instead of the request', () => {
  it('429 (rate-limit wording) is a RateLimitError with retry-after and retry-after-ms, and names the fault', async () => {
    const err = (await client('429;retry_after_ms=1500').chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.code).toBe('429');
    expect(err.message).toContain(`Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${API_VERSION} have exceeded token rate limit`);
    expect(err.message).toContain('Please retry after 2 seconds.');
    expect(err.headers?.get('retry-after')).toBe('2');
    expect(err.headers?.get('retry-after-ms')).toBe('1500');
    expect(err.headers?.get('x-simulator-fault-injected')).toBe('429');
  });

  it('429 high demand', async () => {
    const err = (await client('429;variant=high_demand').embeddings.create({ model: 'text-embedding-3-small', input: 'x' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toContain('The system is currently experiencing high demand and cannot process your request.');
  });

  it('500 and 503 are InternalServerError with the server_error envelope; 503 carries retry-after', async () => {
    const e500 = (await client('500').chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(e500).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e500.status).toBe(500);
    expect(e500.type).toBe('server_error');
    expect(e500.message).toContain('The server had an error while processing your request. Sorry about that!');
    const e503 = (await client('503;retry_after_ms=3000').chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(e503).toBeInstanceOf(OpenAI.InternalServerError);
    expect(e503.status).toBe(503);
    expect(e503.headers?.get('retry-after')).toBe('3');
  });

  it('408 and 504 answer after their delay', async () => {
    for (const status of [408, 504]) {
      const started = Date.now();
      const err = (await client(`${status};after_ms=300`).chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(status);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    }
  });

  it('content_filter_prompt is a 400 content_filter with innererror and the category results', async () => {
    const err = (await client('content_filter_prompt;category=hate;severity=high').chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('content_filter');
    expect(err.param).toBe('prompt');
    const inner = (err.error as { innererror: { code: string; content_filter_result: Record<string, { filtered: boolean; severity?: string }> } }).innererror;
    expect(inner.code).toBe('ResponsibleAIPolicyViolation');
    expect(inner.content_filter_result.hate).toEqual({ filtered: true, severity: 'high' });
    expect(inner.content_filter_result.violence!.filtered).toBe(false);
  });

  it('hang is accepted and never answered: the client times out', async () => {
    const err = await new AzureOpenAI({ endpoint: sim.url, apiKey: sim.apiKey, apiVersion: API_VERSION, maxRetries: 0, timeout: 400, defaultHeaders: { 'x-simulator-fault': 'hang' } })
      .chat.completions.create({ model: 'gpt-4o', messages })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('drop closes the connection before the status line', async () => {
    const err = await client('drop').chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIConnectionError);
    const { text, closed } = await raw(CHAT, { messages }, { 'x-simulator-fault': 'drop' });
    expect(closed).toBe(true);
    expect(text).toBe('');
  });
});

describe('faults in the answer as it is written', () => {
  it('ttft delays the first byte', async () => {
    const started = Date.now();
    const { data, response } = await client('ttft;ms=300').chat.completions.create({ model: 'gpt-4o', messages }).withResponse();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(response.headers.get('x-simulator-fault-injected')).toBe('ttft');
  });

  it('stall pauses a stream after chunk k, then it completes', async () => {
    const started = Date.now();
    const { text } = await raw(CHAT, { messages, stream: true }, { 'x-simulator-fault': 'stall;after_chunks=3;ms=300' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(text).toContain('x-simulator-fault-injected: stall');
    expect(dataEvents(text).at(-1)).toBe('[DONE]');
  });

  it('disconnect cuts the stream after chunk k: no [DONE], and the SDK sees the cut', async () => {
    const { text, closed } = await raw(CHAT, { messages, stream: true }, { 'x-simulator-fault': 'disconnect;after_chunks=3' });
    expect(closed).toBe(true);
    expect(dataEvents(text)).toHaveLength(3);
    const stream = await client('disconnect;after_chunks=4').chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    let parts = 0;
    const err = await (async () => {
      for await (const _ of stream) parts++;
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(parts).toBeLessThanOrEqual(4);
  });

  it('disconnect after a time cuts a stream that would have ended, without [DONE]', async () => {
    const { text, closed } = await raw(CHAT, { messages, stream: true }, { 'x-simulator-fault': 'disconnect;after_ms=200' });
    expect(closed).toBe(true);
    expect(text).not.toContain('[DONE]');
    expect(dataEvents(text).length).toBeGreaterThan(3);
  });

  it('malformed_chunk: one event of invalid JSON, which the SDK fails to parse; a whole body is cut', async () => {
    const { text } = await raw(CHAT, { messages, stream: true }, { 'x-simulator-fault': 'malformed_chunk;at_chunk=2' });
    const events = dataEvents(text);
    expect(() => JSON.parse(events[2]!)).toThrow();
    expect(() => JSON.parse(events[3]!)).not.toThrow();
    const stream = await client('malformed_chunk;at_chunk=2').chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const err = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyntaxError);
    const whole = await client('malformed_chunk').chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(whole).toBeInstanceOf(Error);
  });

  it('no_done ends the stream cleanly without [DONE]', async () => {
    const { text } = await raw(CHAT, { messages, stream: true }, { 'x-simulator-fault': 'no_done' });
    expect(text).toContain('"finish_reason":"stop"');
    expect(text).not.toContain('[DONE]');
    expect(text).toMatch(/\r\n0\r\n\r\n$/); // the chunked body's clean end
  });

  it('error_event: a data: {"error":…} event mid-stream, which the SDK raises as an APIError', async () => {
    const { text } = await raw(CHAT, { messages, stream: true }, { 'x-simulator-fault': 'error_event;after_chunks=3' });
    const events = dataEvents(text);
    expect(events).toHaveLength(4);
    expect(JSON.parse(events[3]!).error.type).toBe('server_error');
    const stream = await client('error_event;after_chunks=3').chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const err = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('The server had an error while processing your request');
  });

  it('content_filter_completion: partial content then finish_reason content_filter (streamed and whole)', async () => {
    const stream = await client('content_filter_completion;after_chunks=4;category=sexual').chat.completions.create({ model: 'gpt-4o', messages, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices[0]!.finish_reason).toBe('content_filter');
    expect((last.choices[0] as unknown as { content_filter_results: Record<string, { filtered: boolean }> }).content_filter_results.sexual!.filtered).toBe(true);
    expect(chunks.some((c) => (c.choices[0]?.delta?.content ?? '') !== '')).toBe(true);
    expect(last.id).toBe(chunks[2]!.id);
    const whole = await client('content_filter_completion').chat.completions.create({ model: 'gpt-4o', messages });
    expect(whole.choices[0]!.finish_reason).toBe('content_filter');
    expect(whole.choices[0]!.message.content).toBeNull();
  });
});

describe('selection, repeatability, the SDK retry', () => {
  it("the SDK's retry retries injected 429s honouring retry-after-ms, then succeeds (a schedule)", async () => {
    const started = Date.now();
    const { data, response } = await client(undefined, 'twice-429', 2).chat.completions.create({ model: 'gpt-4o', messages }).withResponse();
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect(response.headers.get('x-simulator-fault-injected')).toBeNull();
    // Two waits of 1.2 s (retry-after-ms); the SDK's own backoff would wait at most 0.5 + 1 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
  });

  it("the SDK's retry retries injected 500 and 503, then succeeds", async () => {
    const { data } = await client(undefined, 'server-errors', 2).chat.completions.create({ model: 'gpt-4o', messages }).withResponse();
    // Only the third attempt can succeed: the SDK retried both.
    expect(data.choices[0]!.finish_reason).toBe('stop');
  });

  it('a looping schedule gives exactly its sequence across both threads (a fresh connection per request)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const { text } = await raw(CHAT, { messages }, { 'x-simulator-scenario': 'loop-3' });
      statuses.push(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]));
    }
    expect(statuses).toEqual([500, 503, 200, 500, 503, 200, 500, 503, 200, 500, 503, 200]);
  });

  it('seeded rates: the same seed and order give the same faults on a second run', async () => {
    const run = async (): Promise<number[]> => {
      // Re-applying the faults restarts every sequence from its first draw.
      const patched = await patchConfig(sim, { faults: { seed: 99, allow_headers: true, scenarios: { flaky: { rates: { '500': 0.3, '503': 0.2 } } } } });
      expect(patched.status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) {
        const { text } = await raw(CHAT, { messages }, { 'x-simulator-scenario': 'flaky' });
        statuses.push(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1]));
      }
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(first.filter((s) => s !== 200).length).toBeGreaterThan(5);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(5);
  });

  it('a bad fault configuration gets a 400 naming it, and nothing changes', async () => {
    const bad = await patchConfig(sim, { faults: { global: { '429;retry_after_sec=2': 0.1 } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('fault 429 has no parameter "retry_after_sec"');
    const sum = await patchConfig(sim, { faults: { global: { '500': 0.7, '503': 0.5 } } });
    expect(sum.status).toBe(400);
    expect(((await sum.json()) as { error: { message: string } }).error.message).toContain('faults.global: the rates add up to 1.2');
    const header = await raw(CHAT, { messages }, { 'x-simulator-fault': 'teapot' });
    expect(header.text).toMatch(/^HTTP\/1\.1 400/);
    expect(header.text).toContain('unknown fault \\"teapot\\"');
    const scenario = await raw(CHAT, { messages }, { 'x-simulator-scenario': 'nope' });
    expect(scenario.text).toContain('unknown scenario \\"nope\\"');
  });

  it('counts injected faults by deployment, fault and source in /++/stats', async () => {
    await client('500').chat.completions.create({ model: 'gpt-4o', messages }).catch(() => undefined);
    const stats = (await (await fetch(`${sim.url}/++/stats`, { headers: { 'api-key': sim.apiKey } })).json()) as { faults_injected: { deployment: string; fault: string; source: string; count: number }[] };
    const row = stats.faults_injected.find((r) => r.deployment === 'gpt-4o' && r.fault === '500' && r.source === 'header');
    expect(row?.count).toBeGreaterThanOrEqual(1);
    expect(stats.faults_injected.find((r) => r.source === 'scenario')?.count).toBeGreaterThan(0);
  });

  it('a storm of every fault at once, then a normal request is answered', async () => {
    const faults = ['429', '500', '503', '408;after_ms=50', '504;after_ms=50', 'hang', 'drop', 'ttft;ms=50', 'stall;ms=50', 'disconnect', 'disconnect;after_ms=50', 'malformed_chunk', 'no_done', 'error_event', 'content_filter_prompt', 'content_filter_completion'];
    await Promise.all(faults.flatMap((f) => [raw(CHAT, { messages, stream: true }, { 'x-simulator-fault': f }, 500), raw(CHAT, { messages }, { 'x-simulator-fault': f }, 500)]));
    const ok = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages });
    expect(ok.choices[0]!.finish_reason).toBe('stop');
  });
});
