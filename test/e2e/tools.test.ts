/**
 * Tools and structured outputs through the official `openai` SDK against the started simulator:
 * every tool_choice, parallel calls, legacy functions, the streamed delta sequence read raw and
 * through `chat.completions.stream`, `runTools` ending its loop, `parse` with `zodResponseFormat`,
 * and the service's 400s for bad schemas and tool definitions. Every argument and object is
 * validated against its schema with ajv; token counts against an independent tokenizer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { azureClient, openaiClient, tokens, API_VERSION } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const Ajv2020 = Ajv2020Module as unknown as typeof Ajv2020Module.default;
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);

function expectValid(schema: object, value: unknown): void {
  const validate = ajv.compile(schema);
  if (!validate(value)) throw new Error(`${JSON.stringify(value)} fails ${JSON.stringify(schema)}: ${ajv.errorsText(validate.errors)}`);
}

const WEATHER = {
  type: 'object',
  properties: {
    location: { type: 'string' },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer', minimum: 1, maximum: 7 },
    when: { type: 'string', format: 'date' },
  },
  required: ['location', 'unit'],
} as const;
const TIME = {
  type: 'object',
  $defs: { zone: { type: 'object', properties: { name: { type: 'string' }, offset: { type: ['number', 'null'] } }, required: ['name', 'offset'], additionalProperties: false } },
  properties: { zones: { type: 'array', items: { $ref: '#/$defs/zone' }, minItems: 1 } },
  required: ['zones'],
  additionalProperties: false,
} as const;

const tools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather for a place', parameters: WEATHER } },
  { type: 'function', function: { name: 'get_time', description: 'Time in zones', parameters: TIME, strict: true } },
];
const schemaOf = (name: string): object => (name === 'get_weather' ? WEATHER : TIME);

function checkCalls(calls: OpenAI.ChatCompletionMessageToolCall[] | undefined): void {
  expect(calls && calls.length > 0).toBe(true);
  for (const call of calls!) {
    expect(call.id).toMatch(/^call_[A-Za-z0-9_-]{24}$/);
    expect(call.type).toBe('function');
    if (call.type !== 'function') continue;
    expectValid(schemaOf(call.function.name), JSON.parse(call.function.arguments));
  }
}

const ASK = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];

describe('tools and structured outputs (openai SDK)', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('auto (default with tools): calls a tool, arguments valid, usage counts names and arguments exactly', async () => {
    const r = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: ASK, tools });
    const choice = r.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message.refusal).toBeNull();
    checkCalls(choice.message.tool_calls);
    const expected = choice.message.tool_calls!.reduce((sum, c) => sum + (c.type === 'function' ? tokens(c.function.name, 'o200k_base') + tokens(c.function.arguments, 'o200k_base') : 0), 0);
    expect(r.usage!.completion_tokens).toBe(expected);
  });

  it('none: answers text even with tools', async () => {
    const r = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: ASK, tools, tool_choice: 'none' });
    expect(r.choices[0]!.message.tool_calls).toBeUndefined();
    expect(typeof r.choices[0]!.message.content).toBe('string');
    expect(r.choices[0]!.finish_reason).toBe('stop');
  });

  it('required: finish_reason tool_calls (the default setting); named: the named tool with stop', async () => {
    const required = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: ASK, tools, tool_choice: 'required' });
    expect(required.choices[0]!.finish_reason).toBe('tool_calls');
    checkCalls(required.choices[0]!.message.tool_calls);
    const named = await openaiClient(sim).chat.completions.create({ model: 'gpt-4o', messages: ASK, tools, tool_choice: { type: 'function', function: { name: 'get_time' } } });
    expect(named.choices[0]!.finish_reason).toBe('stop');
    const calls = named.choices[0]!.message.tool_calls!;
    expect(calls.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual(['get_time']);
    checkCalls(calls);
  });

  it('allowed_tools restricts the calls to its subset', async () => {
    const r = await azureClient(sim).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'get_weather and get_time please' }],
      tools,
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_time' } }] } },
    } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming);
    expect(r.choices[0]!.message.tool_calls!.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual(['get_time']);
  });

  it('parallel calls when several tools are asked for, with distinct ids; one call with parallel_tool_calls false', async () => {
    const messages = [{ role: 'user' as const, content: 'Use get_weather for Paris and get_time for Tokyo.' }];
    const r = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages, tools });
    const calls = r.choices[0]!.message.tool_calls!;
    expect(calls.map((c) => (c.type === 'function' ? c.function.name : ''))).toEqual(['get_weather', 'get_time']);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    checkCalls(calls);
    const single = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages, tools, parallel_tool_calls: false });
    expect(single.choices[0]!.message.tool_calls).toHaveLength(1);
  });

  it('the agent loop ends: after a tool message, auto answers text with stop', async () => {
    const first = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: ASK, tools });
    const call = first.choices[0]!.message.tool_calls![0]!;
    const second = await azureClient(sim).chat.completions.create({
      model: 'gpt-4o',
      tools,
      messages: [...ASK, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' }],
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect(second.choices[0]!.message.tool_calls).toBeUndefined();
    expect(second.choices[0]!.message.content!.length).toBeGreaterThan(0);
  });

  it('legacy functions / function_call answer message.function_call with finish_reason function_call', async () => {
    const r = await azureClient(sim).chat.completions.create({
      model: 'gpt-35-turbo',
      messages: ASK,
      functions: [{ name: 'get_weather', parameters: WEATHER }],
      function_call: { name: 'get_weather' },
    });
    expect(r.choices[0]!.finish_reason).toBe('function_call');
    const fc = r.choices[0]!.message.function_call!;
    expect(fc.name).toBe('get_weather');
    expectValid(WEATHER, JSON.parse(fc.arguments));
  });

  it('streams a tool call as the live service: identity delta, one argument token per event, finish, usage, [DONE]', async () => {
    const res = await fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`, {
      method: 'POST',
      headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: ASK, tools, tool_choice: 'required', stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const frames = (await res.text()).split('\n\n').filter((f) => f !== '');
    expect(frames.at(-1)).toBe('data: [DONE]');
    const events = frames.slice(0, -1).map((f) => JSON.parse(f.replace(/^data: /, '')));
    expect(events[0]).toMatchObject({ choices: [], id: '', object: '', created: 0 });
    expect(events[0].prompt_filter_results).toHaveLength(1);
    const first = events[1].choices[0];
    expect(first.delta.role).toBe('assistant');
    expect(first.delta.content).toBeNull();
    const identity = first.delta.tool_calls[0];
    expect(identity).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(identity.id).toMatch(/^call_/);
    const fragments = events.slice(2).filter((e) => e.choices[0]?.delta?.tool_calls);
    for (const f of fragments) expect(Object.keys(f.choices[0].delta.tool_calls[0]).sort()).toEqual(['function', 'index']);
    const args = fragments.map((f) => f.choices[0].delta.tool_calls[0].function.arguments as string);
    const joined = args.join('');
    expectValid(WEATHER, JSON.parse(joined));
    expect(args.length).toBe(tokens(joined, 'o200k_base'));
    const finish = events.at(-2);
    expect(finish.choices[0]).toMatchObject({ finish_reason: 'tool_calls', delta: {} });
    const usage = events.at(-1);
    expect(usage.choices).toEqual([]);
    expect(usage.usage.completion_tokens).toBe(tokens('get_weather', 'o200k_base') + tokens(joined, 'o200k_base'));
    expect(new Set(events.slice(1).map((e) => e.id)).size).toBe(1);
  });

  it('chat.completions.stream with a tool: the SDK accumulates a complete, valid call', async () => {
    const stream = azureClient(sim).chat.completions.stream({ model: 'gpt-4o', messages: ASK, tools, tool_choice: 'required', stream_options: { include_usage: true } });
    const done: string[] = [];
    stream.on('tool_calls.function.arguments.done', (e) => done.push(e.arguments));
    const final = await stream.finalChatCompletion();
    checkCalls(final.choices[0]!.message.tool_calls);
    expect(done).toHaveLength(1);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('runTools: the SDK runs the tool and the loop ends with a text answer', async () => {
    const seen: unknown[] = [];
    const runner = azureClient(sim).chat.completions.runTools({
      model: 'gpt-4o',
      messages: ASK,
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: WEATHER,
            function: (args: unknown) => {
              seen.push(args);
              return { temperature: 21 };
            },
            parse: JSON.parse,
          },
        },
      ],
    });
    const content = await runner.finalContent();
    expect(typeof content).toBe('string');
    expect(seen).toHaveLength(1);
    expectValid(WEATHER, seen[0]);
    const messages = runner.messages;
    expect(messages.filter((m) => m.role === 'tool')).toHaveLength(1);
  });

  it('parse with zodResponseFormat: a strict json_schema answer the SDK parses and zod accepts, streamed token by token too', async () => {
    const Event = z.object({
      name: z.string(),
      date: z.string(),
      attendees: z.array(z.object({ name: z.string(), role: z.enum(['host', 'guest']), age: z.number().nullable() })),
      location: z.object({ city: z.string(), country: z.string() }).nullable(),
    });
    const r = await azureClient(sim).chat.completions.parse({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Extract the event.' }], response_format: zodResponseFormat(Event, 'event') });
    const message = r.choices[0]!.message;
    expect(message.refusal).toBeNull();
    expect(Event.safeParse(message.parsed).success).toBe(true);
    expect(r.usage!.completion_tokens).toBe(tokens(message.content!, 'o200k_base'));

    const stream = azureClient(sim).chat.completions.stream({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Extract the event.' }], response_format: zodResponseFormat(Event, 'event') });
    let deltas = 0;
    stream.on('content.delta', () => deltas++);
    const final = await stream.finalChatCompletion();
    const content = final.choices[0]!.message.content!;
    expect(Event.safeParse(JSON.parse(content)).success).toBe(true);
    expect(deltas).toBe(tokens(content, 'o200k_base'));
  });

  it('json_schema non-strict and json_object answer JSON; json_object needs the word json', async () => {
    const schema = { type: 'object', properties: { title: { type: 'string', maxLength: 30 }, score: { type: 'integer', minimum: 0, maximum: 10 } }, required: ['score'] };
    const r = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: ASK, response_format: { type: 'json_schema', json_schema: { name: 'review', schema } } });
    expectValid(schema, JSON.parse(r.choices[0]!.message.content!));
    const j = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Answer in JSON.' }], response_format: { type: 'json_object' } });
    expect(typeof JSON.parse(j.choices[0]!.message.content!)).toBe('object');
    const err = await azureClient(sim)
      .chat.completions.create({ model: 'gpt-4o', messages: ASK, response_format: { type: 'json_object' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("'messages' must contain the word 'json' in some form");
  });

  it("bad strict schemas and bad tool definitions get the service's 400 bodies", async () => {
    const post = (body: object) =>
      fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`, {
        method: 'POST',
        headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: ASK, ...body }),
      });
    const noAdditional = await post({ response_format: { type: 'json_schema', json_schema: { name: 'default', strict: true, schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } } } });
    expect(noAdditional.status).toBe(400);
    expect(await noAdditional.json()).toEqual({
      error: {
        code: 'invalid_json_schema',
        message: "Invalid schema for response_format 'default': In context=(), 'additionalProperties' is required to be supplied and to be false.",
        type: 'invalid_request_error',
        param: 'response_format',
      },
    });
    const strictTool = await post({ tools: [{ type: 'function', function: { name: 'shell', strict: true, parameters: { type: 'object', properties: { cmd: { type: 'string' } } } } }] });
    expect(strictTool.status).toBe(400);
    expect(await strictTool.json()).toMatchObject({ error: { code: 'invalid_function_parameters', param: 'tools[0].function.parameters', message: expect.stringMatching(/^Invalid schema for function 'shell': In context=\(\), 'additionalProperties'/) } });
    const badName = await post({ tools: [{ type: 'function', function: { name: 'bad name!' } }] });
    expect(badName.status).toBe(400);
    expect((await badName.json()).error.param).toBe('tools[0].function.name');
    const noTools = await post({ tool_choice: 'required' });
    expect(noTools.status).toBe(400);
    expect((await noTools.json()).error.message).toContain("'tool_choice' is only allowed when 'tools' are specified");
    const unknownTool = await post({ tools, tool_choice: { type: 'function', function: { name: 'nope' } } });
    expect(unknownTool.status).toBe(400);
  });
});

describe('tools through the worker pool, and the /++/config agent policy', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ SIMULATOR_POOL_MIN_BODY_BYTES: '1' });
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('answers the same from the pool, and tool_choice_auto=answer makes auto answer text', async () => {
    const r = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: ASK, tools });
    checkCalls(r.choices[0]!.message.tool_calls);
    const patch = await fetch(`${sim.url}/++/config`, { method: 'PATCH', headers: { 'api-key': sim.apiKey }, body: JSON.stringify({ agent: { tool_choice_auto: 'answer' } }) });
    expect(patch.status).toBe(200);
    expect((await patch.json()).agent.tool_choice_auto).toBe('answer');
    const text = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: ASK, tools });
    expect(text.choices[0]!.message.tool_calls).toBeUndefined();
    const bad = await fetch(`${sim.url}/++/config`, { method: 'PATCH', headers: { 'api-key': sim.apiKey }, body: JSON.stringify({ agent: { tool_choice_auto: 'sometimes' } }) });
    expect(bad.status).toBe(400);
  });
});

describe('latency applies to tool calls and images', () => {
  let sim: Simulator;
  const PER_TOKEN_MS = 15;
  const PER_IMAGE_MS = 400;
  beforeAll(async () => {
    sim = await startSimulator({
      LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: String(PER_TOKEN_MS),
      LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0',
      LATENCY_OPENAI_IMAGES_MEAN: String(PER_IMAGE_MS),
      LATENCY_OPENAI_IMAGES_STD_DEV: '0',
    });
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  // Lower bounds only: the answer cannot come before the latency model says (a slow machine only adds time).
  it('a tool call takes its completion tokens × the per-token latency; streamed too', async () => {
    const started = performance.now();
    const r = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: ASK, tools, tool_choice: 'required' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(r.usage!.completion_tokens * PER_TOKEN_MS - 5);
    const streamStarted = performance.now();
    const stream = azureClient(sim).chat.completions.stream({ model: 'gpt-4o', messages: ASK, tools, tool_choice: 'required', stream_options: { include_usage: true } });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    // The identity delta goes out at once; each argument token is paced.
    const argumentTokens = call.type === 'function' ? tokens(call.function.arguments, 'o200k_base') : 0;
    expect(performance.now() - streamStarted).toBeGreaterThanOrEqual(argumentTokens * PER_TOKEN_MS - 5);
  });

  it('an image request takes the per-image latency × n', async () => {
    const started = performance.now();
    await openaiClient(sim, '/openai/v1').images.generate({ model: 'gpt-image-1', prompt: 'slow', n: 2, quality: 'low' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * PER_IMAGE_MS - 5);
  });
});
