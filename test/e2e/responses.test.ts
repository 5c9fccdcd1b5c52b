/**
 * The Responses API through the official `openai` SDK (and raw requests where the SDK hides the
 * wire): create with string and item input, the whole event stream through `responses.stream()`
 * (whose accumulator throws on an unknown or out-of-order event), retrieve, delete, input items
 * with paging, previous_response_id across both front-end threads, background responses polled to
 * completion, and the service's 400s.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { AzureOpenAI, NotFoundError, BadRequestError } from 'openai';
import { openaiClient, tokens } from '../helpers/clients.js';
import { checkEventSequence, parseEventStream } from '../helpers/response-events.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

/** The chat counting rule (cookbook): 3 tokens of reply priming, per message 3 + role + content. */
function promptTokens(messages: readonly { role: string; content: string }[]): number {
  return 3 + messages.reduce((sum, m) => sum + 3 + tokens(m.role, 'o200k_base') + tokens(m.content, 'o200k_base'), 0);
}

/** A client whose every request opens its own connection: the kernel spreads them over the threads. */
function freshConnections(sim: Simulator): OpenAI {
  const fetchClosing: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), connection: 'close' } });
  return new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: sim.apiKey, maxRetries: 0, fetch: fetchClosing });
}

describe('the Responses API (openai SDK)', () => {
  let sim: Simulator;
  let client: OpenAI;
  beforeAll(async () => {
    sim = await startSimulator({ SIMULATOR_THREADS: '2' });
    client = openaiClient(sim, '/openai/v1');
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('creates from a string with instructions: ids, status, output_text and exact usage', async () => {
    const r = await client.responses.create({ model: 'gpt-4o', input: 'Tell me about the sea.', instructions: 'Answer in one paragraph.' });
    expect(r.id).toMatch(/^resp_/);
    expect(r.object).toBe('response');
    expect(r.status).toBe('completed');
    expect(r.model).toBe('gpt-4o');
    expect(r.instructions).toBe('Answer in one paragraph.');
    expect(r.output).toHaveLength(1);
    const message = r.output[0]!;
    expect(message.type).toBe('message');
    if (message.type !== 'message') return;
    expect(message.id).toMatch(/^msg_/);
    expect(message.role).toBe('assistant');
    expect(r.output_text.length).toBeGreaterThan(0);
    expect(r.usage!.input_tokens).toBe(promptTokens([{ role: 'developer', content: 'Answer in one paragraph.' }, { role: 'user', content: 'Tell me about the sea.' }]));
    expect(r.usage!.output_tokens).toBe(tokens(r.output_text, 'o200k_base'));
    expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
    expect(r.usage!.input_tokens_details.cached_tokens).toBe(0);
    expect(r.usage!.output_tokens_details.reasoning_tokens).toBe(0);
    // Azure's content filter blocks: prompt and completion, on the finished response.
    const filters = (r as unknown as { content_filters: { source_type: string; blocked: boolean }[] }).content_filters;
    expect(filters.map((f) => f.source_type)).toEqual(['prompt', 'completion']);
    expect(filters.every((f) => f.blocked === false)).toBe(true);
  });

  it('creates from items (input_text parts, an echoed assistant message) and stops at max_output_tokens with status incomplete', async () => {
    const r = await client.responses.create({
      model: 'gpt-4o',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Hello there.' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi! How can I help?', annotations: [] }] } as never,
        { role: 'user', content: 'Write a long story.' },
      ],
      max_output_tokens: 16,
    });
    expect(r.usage!.input_tokens).toBe(
      promptTokens([
        { role: 'user', content: 'Hello there.' },
        { role: 'assistant', content: 'Hi! How can I help?' },
        { role: 'user', content: 'Write a long story.' },
      ]),
    );
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(r.usage!.output_tokens).toBe(16);
    expect(tokens(r.output_text, 'o200k_base')).toBe(16);
  });

  it('streams every event in order through responses.stream(), whose accumulator accepts them all', async () => {
    const stream = client.responses.stream({ model: 'gpt-4o', input: 'Stream me something.' });
    const types: string[] = [];
    const sequence: number[] = [];
    let deltas = '';
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
    }
    const final = await stream.finalResponse();
    expect(sequence).toEqual(sequence.map((_, i) => i));
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(types.filter((t) => t === 'response.output_text.delta').length).toBe(final.usage!.output_tokens);
    expect(final.status).toBe('completed');
    expect(final.output_text).toBe(deltas);
    // The stored object is the streamed one.
    const stored = await client.responses.retrieve(final.id);
    expect(stored.output_text).toBe(deltas);
  });

  it('frames the stream with event: lines and no [DONE] (raw)', async () => {
    const res = await fetch(`${sim.url}/openai/v1/responses`, {
      method: 'POST',
      headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', input: 'hi', stream: true }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const frames = text.split('\n\n').filter((f) => f !== '');
    for (const frame of frames) {
      const [event, data] = frame.split('\n');
      expect(event).toMatch(/^event: response\./);
      expect(JSON.parse(data!.slice('data: '.length)).type).toBe(event!.slice('event: '.length));
    }
    expect(text).not.toContain('[DONE]');
    // The strict clients' rules, checked independently (and the reasoning-model and incomplete variants).
    expect(checkEventSequence(parseEventStream(text)).status).toBe('completed');
    for (const extra of [{ model: 'o4-mini', reasoning: { effort: 'low' } }, { max_output_tokens: 16 }]) {
      const raw = await fetch(`${sim.url}/openai/v1/responses`, {
        method: 'POST',
        headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', input: 'hi', stream: true, ...extra }),
      });
      const final = checkEventSequence(parseEventStream(await raw.text()));
      expect(final.status).toBe('max_output_tokens' in extra ? 'incomplete' : 'completed');
    }
  });

  it('retrieves, lists input items page by page, deletes, then answers 404', async () => {
    const input = ['one', 'two', 'three', 'four', 'five'].map((text) => ({ role: 'user' as const, content: text }));
    const created = await client.responses.create({ model: 'gpt-4o', input });
    const retrieved = await client.responses.retrieve(created.id);
    expect(retrieved.id).toBe(created.id);
    expect(retrieved.output_text).toBe(created.output_text);

    const first = await client.responses.inputItems.list(created.id, { limit: 2, order: 'asc' });
    expect(first.data).toHaveLength(2);
    expect(first.has_more).toBe(true);
    const texts: string[] = [];
    for await (const item of client.responses.inputItems.list(created.id, { limit: 2, order: 'asc' })) {
      if (item.type === 'message') texts.push((item.content[0] as { text: string }).text);
    }
    expect(texts).toEqual(['one', 'two', 'three', 'four', 'five']);
    // The default order is newest first.
    const desc = await client.responses.inputItems.list(created.id);
    expect(desc.data.map((item) => (item.type === 'message' ? (item.content[0] as { text: string }).text : ''))).toEqual(['five', 'four', 'three', 'two', 'one']);

    await client.responses.delete(created.id);
    await expect(client.responses.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.responses.delete(created.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.responses.retrieve('resp_nothing')).rejects.toMatchObject({ status: 404, message: expect.stringContaining("Response with id 'resp_nothing' not found.") });
  });

  it('continues a conversation with previous_response_id across both threads, counting the history as cached', async () => {
    const fresh = freshConnections(sim);
    let previous = await fresh.responses.create({ model: 'gpt-4o', input: 'Start a story.', instructions: 'Be brief.' });
    let previousInput = previous.usage!.input_tokens;
    for (let turn = 0; turn < 10; turn++) {
      const next = await fresh.responses.create({ model: 'gpt-4o', input: `Continue, part ${turn}.`, previous_response_id: previous.id });
      expect(next.previous_response_id).toBe(previous.id);
      // The whole conversation is counted: more than the last turn's input, with its history cached.
      expect(next.usage!.input_tokens).toBeGreaterThan(previousInput + previous.usage!.output_tokens - 10);
      expect(next.usage!.input_tokens_details.cached_tokens).toBeGreaterThan(0);
      expect(next.usage!.input_tokens_details.cached_tokens).toBeLessThan(next.usage!.input_tokens);
      previousInput = next.usage!.input_tokens;
      previous = next;
    }
    // Instructions are not inherited (they were on the first turn only).
    expect(previous.instructions).toBeNull();
    // Every stored turn is visible through a new connection too.
    expect((await fresh.responses.retrieve(previous.id)).id).toBe(previous.id);
  });

  it('answers the dated preview route (/openai/responses?api-version) through AzureOpenAI, 404 without api-version', async () => {
    const azure = new AzureOpenAI({ endpoint: sim.url, apiKey: sim.apiKey, apiVersion: '2025-03-01-preview', maxRetries: 0 });
    const r = await azure.responses.create({ model: 'gpt-4o-mini', input: 'hello' });
    expect(r.status).toBe('completed');
    expect((await azure.responses.retrieve(r.id)).id).toBe(r.id);
    const bare = await fetch(`${sim.url}/openai/responses`, { method: 'POST', headers: { 'api-key': sim.apiKey }, body: JSON.stringify({ model: 'gpt-4o', input: 'x' }) });
    expect(bare.status).toBe(404);
    expect(await bare.json()).toEqual({ error: { code: '404', message: 'Resource not found', type: null, param: null } });
  });

  it('does not store with store: false', async () => {
    const r = await client.responses.create({ model: 'gpt-4o', input: 'hi', store: false });
    expect(r.store).toBe(false);
    await expect(client.responses.retrieve(r.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([
    [{ input: 'x', foo: 1 }, 'foo', 'unknown_parameter', "Unknown parameter: 'foo'."],
    [{ input: 42 }, 'input', 'invalid_type', "Invalid type for 'input'"],
    [{}, 'input', 'missing_required_parameter', "Missing required parameter: 'input'."],
    [{ input: 'x', max_output_tokens: 5 }, 'max_output_tokens', 'integer_below_min_value', 'Expected a value >= 16, but got 5 instead.'],
    [{ input: [{ role: 'robot', content: 'x' }] }, 'input[0].role', 'invalid_value', "Invalid value for 'input[0].role'"],
    [{ input: [{ type: 'function_call_output', output: 'x' }] }, 'input[0].call_id', 'missing_required_parameter', 'call_id'],
    [{ input: 'x', tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools[0].name', 'missing_required_parameter', "'tools[0].name'"],
    [{ input: 'x', text: { format: { type: 'yaml' } } }, 'text.format.type', 'invalid_value', 'yaml'],
    [{ input: 'x', previous_response_id: 'resp_unknown' }, 'previous_response_id', 'previous_response_not_found', "Previous response with id 'resp_unknown' not found."],
    [{ input: 'x', reasoning: { effort: 'high' } }, 'reasoning.effort', 'unsupported_parameter', 'not supported with this model'],
    [{ input: 'x', background: true, store: false }, 'background', 'invalid_value', 'store'],
  ])('answers %j with the service 400 on %s', async (body, param, code, message) => {
    const res = await fetch(`${sim.url}/openai/v1/responses`, {
      method: 'POST',
      headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', ...body }),
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { param: string; code: string; message: string; type: string } };
    expect(error).toMatchObject({ param, code, type: 'invalid_request_error' });
    expect(error.message).toContain(message);
    // The SDK turns it into its typed error.
    await expect(client.responses.create({ model: 'gpt-4o', ...body } as never)).rejects.toBeInstanceOf(BadRequestError);
  });

  it('gives a reasoning model a reasoning item and reasoning tokens', async () => {
    const r = await client.responses.create({ model: 'o4-mini', input: 'Think about it.', reasoning: { effort: 'low' } });
    expect(r.output[0]!.type).toBe('reasoning');
    expect(r.output[0]!.id).toMatch(/^rs_/);
    expect(r.output[1]!.type).toBe('message');
    expect(r.usage!.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expect(r.usage!.output_tokens).toBe(r.usage!.output_tokens_details.reasoning_tokens + tokens(r.output_text, 'o200k_base'));
    expect(r.reasoning?.effort).toBe('low');
    const stream = client.responses.stream({ model: 'o4-mini', input: 'Think.', reasoning: { effort: 'low' } });
    for await (const _ of stream) void _;
    expect((await stream.finalResponse()).output.map((o) => o.type)).toEqual(['reasoning', 'message']);
  });
});

describe('background responses (latency on)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '10', LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0', LATENCY_OPENAI_CHAT_COMPLETIONS_TTFT_MEAN: '300' });
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('answers queued at once, then moves through in_progress to completed (polled with retrieve)', async () => {
    const client = openaiClient(sim, '/openai/v1');
    const created = await client.responses.create({ model: 'gpt-4o', input: 'A slow one, please.', background: true });
    expect(created.status).toBe('queued');
    expect(created.background).toBe(true);
    expect(created.output).toEqual([]);
    const seen: string[] = [created.status!];
    let current = created;
    while (current.status === 'queued' || current.status === 'in_progress') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await client.responses.retrieve(created.id);
      if (seen[seen.length - 1] !== current.status) seen.push(current.status!);
    }
    expect(seen).toEqual(['queued', 'in_progress', 'completed']);
    expect(current.output_text.length).toBeGreaterThan(0);
    expect(current.usage!.output_tokens).toBe(tokens(current.output_text, 'o200k_base'));
  });

  it('cancels a background response before it completes', async () => {
    const client = openaiClient(sim, '/openai/v1');
    const created = await client.responses.create({ model: 'gpt-4o', input: 'Cancel me.', background: true });
    const cancelled = await client.responses.cancel(created.id);
    expect(cancelled.status).toBe('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await client.responses.retrieve(created.id)).status).toBe('cancelled');
    const foreground = await client.responses.create({ model: 'gpt-4o', input: 'x', max_output_tokens: 16 });
    await expect(client.responses.cancel(foreground.id)).rejects.toBeInstanceOf(BadRequestError);
  });

  it('paces a stream: the first delta after the time to first token', async () => {
    const client = openaiClient(sim, '/openai/v1');
    const started = performance.now();
    let firstDelta = 0;
    const stream = client.responses.stream({ model: 'gpt-4o', input: 'x' });
    for await (const event of stream) if (event.type === 'response.output_text.delta' && firstDelta === 0) firstDelta = performance.now() - started;
    // A lower bound only (no timing upper bounds on a shared machine): 300 ms TTFT + one token.
    expect(firstDelta).toBeGreaterThanOrEqual(300);
  });
});

describe('Responses under rate limits', () => {
  let sim: Simulator;
  beforeAll(async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'aoai-sim-resp-limits-')), 'deployments.json');
    writeFileSync(config, JSON.stringify({ small: { model: 'gpt-4o', tokensPerMinute: 1000 } }));
    sim = await startSimulator({ OPENAI_DEPLOYMENT_CONFIG_PATH: config });
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('charges max_output_tokens to the body deployment, then answers the 429 naming Responses_Create', async () => {
    const client = openaiClient(sim, '/openai/v1');
    const { response } = await client.responses.create({ model: 'small', input: 'hi', max_output_tokens: 100 }).withResponse();
    expect(response.headers.get('x-ratelimit-remaining-tokens')).toBe('900');
    // 1,000 TPM allows one request per 10 s.
    const refused = await client.responses.create({ model: 'small', input: 'hi' }).catch((err: unknown) => err);
    expect(refused).toMatchObject({ status: 429 });
    expect((refused as Error).message).toContain('Responses_Create');
  });
});
