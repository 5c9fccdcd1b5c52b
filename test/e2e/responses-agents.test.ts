/**
 * The Responses API with tools and structured outputs, through the clients that use it by default:
 * the openai SDK (a function tool with tool_choice required, then the tool result; text.format
 * json_schema, validated with ajv; a strict schema outside the subset gets the service's 400), the
 * OpenAI Agents SDK (its default model is the Responses API) running an agent with one function
 * tool to its final output, and the Vercel AI SDK's generateText / streamText on the default
 * `@ai-sdk/azure` provider model (`azure(id)` is the Responses API).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Ajv from 'ajv';
import OpenAI from 'openai';
import { generateText, streamText, tool as aiTool } from 'ai';
import { createAzure } from '@ai-sdk/azure';
import { Agent, run, setDefaultOpenAIClient, setTracingDisabled } from '@openai/agents';
import { openaiClient } from '../helpers/clients.js';
import { checkEventSequence, parseEventStream } from '../helpers/response-events.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';
import { Weather, weatherAgentTool } from '../helpers/weather-tool.js';

const WEATHER_PARAMETERS = {
  type: 'object',
  properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  required: ['city', 'unit'],
  additionalProperties: false,
};

describe('Responses with tools and structured outputs', () => {
  let sim: Simulator;
  let client: OpenAI;
  beforeAll(async () => {
    sim = await startSimulator();
    client = openaiClient(sim, '/openai/v1');
    setTracingDisabled(true);
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('calls a function tool with tool_choice required (arguments valid for its schema), then answers after its output', async () => {
    const validate = new Ajv().compile(WEATHER_PARAMETERS);
    const tools = [{ type: 'function' as const, name: 'get_weather', description: 'Weather for a city', parameters: WEATHER_PARAMETERS, strict: true }];
    const first = await client.responses.create({ model: 'gpt-4o', input: 'What is the weather in Oslo?', tools, tool_choice: 'required' });
    const call = first.output.find((o) => o.type === 'function_call');
    if (!call || call.type !== 'function_call') throw new Error('no function call');
    expect(call.id).toMatch(/^fc_/);
    expect(call.call_id).toMatch(/^call_/);
    expect(call.name).toBe('get_weather');
    expect(validate(JSON.parse(call.arguments))).toBe(true);
    expect(first.usage!.output_tokens).toBeGreaterThan(0);
    const second = await client.responses.create({
      model: 'gpt-4o',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temperature":3}' }],
      tools,
    });
    expect(second.output.map((o) => o.type)).toEqual(['message']);
    expect(second.output_text.length).toBeGreaterThan(0);
    // The streamed call keeps every rule of the strict clients.
    const raw = await fetch(`${sim.url}/openai/v1/responses`, {
      method: 'POST',
      headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', input: 'Weather?', tools, tool_choice: 'required', stream: true }),
    });
    const final = checkEventSequence(parseEventStream(await raw.text()));
    expect((final.output as { type: string }[])[0]!.type).toBe('function_call');
    const stream = client.responses.stream({ model: 'gpt-4o', input: 'Weather?', tools, tool_choice: { type: 'function', name: 'get_weather' } });
    for await (const _ of stream) void _;
    expect((await stream.finalResponse()).output[0]!.type).toBe('function_call');
  });

  it('answers text.format json_schema with JSON the schema accepts (ajv), and refuses a strict schema outside the subset', async () => {
    const schema = {
      type: 'object',
      properties: { title: { type: 'string' }, servings: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['title', 'servings', 'tags'],
      additionalProperties: false,
    };
    const r = await client.responses.create({ model: 'gpt-4o', input: 'A soup recipe.', text: { format: { type: 'json_schema', name: 'recipe', schema, strict: true } } });
    expect(new Ajv().compile(schema)(JSON.parse(r.output_text))).toBe(true);
    expect(r.usage!.output_tokens).toBeGreaterThan(0);
    const bad = await client.responses
      .create({ model: 'gpt-4o', input: 'x', text: { format: { type: 'json_schema', name: 'recipe', schema: { type: 'object', properties: { a: { type: 'string' } } }, strict: true } } })
      .catch((err: unknown) => err);
    expect(bad).toMatchObject({ status: 400 });
    expect((bad as { param?: string }).param ?? '').toMatch(/^text\.format/);
  });

  it('runs an OpenAI Agents SDK agent (default Responses model) with one function tool to its final output', async () => {
    setDefaultOpenAIClient(new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: sim.apiKey, maxRetries: 0 }));
    const calls: unknown[] = [];
    const weather = weatherAgentTool(calls);
    const agent = new Agent({ name: 'forecaster', instructions: 'Answer with the weather.', tools: [weather], model: 'gpt-4o' });
    const result = await run(agent, 'What is the weather in get_weather Lisbon?', { maxTurns: 4 });
    expect(calls).toHaveLength(1);
    expect(Weather.safeParse(calls[0]).success).toBe(true);
    expect(typeof result.finalOutput).toBe('string');
    expect((result.finalOutput as string).length).toBeGreaterThan(0);
    expect(result.newItems.map((i) => i.type)).toEqual(['tool_call_item', 'tool_call_output_item', 'message_output_item']);
  });

  describe('Vercel AI SDK, the default @ai-sdk/azure model (Responses)', () => {
    const azure = () => createAzure({ baseURL: `${sim.url}/openai/v1`, apiKey: sim.apiKey });

    it('generateText answers text with its usage', async () => {
      const result = await generateText({ model: azure()('gpt-4o'), prompt: 'Say something.', maxRetries: 0 });
      expect(result.text.length).toBeGreaterThan(0);
      expect(result.finishReason).toBe('stop');
      expect(result.usage.outputTokens).toBeGreaterThan(0);
      expect(result.response.id).toMatch(/^resp_/);
    });

    it('streamText streams the same', async () => {
      const result = streamText({ model: azure()('gpt-4o'), prompt: 'Stream something.', maxRetries: 0 });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      expect(text.length).toBeGreaterThan(0);
      expect(text).toBe(await result.text);
      expect((await result.usage).outputTokens).toBeGreaterThan(0);
    });

    it('generateText with a required tool: the call is parsed and executed with valid input', async () => {
      const inputs: unknown[] = [];
      const result = await generateText({
        model: azure()('gpt-4o'),
        prompt: 'What is the weather in Oslo?',
        toolChoice: 'required',
        tools: { weather: aiTool({ description: 'Weather', inputSchema: Weather, execute: async (input) => (inputs.push(input), { temperature: 3 }) }) },
        maxRetries: 0,
      });
      expect(result.toolCalls).toHaveLength(1);
      expect(Weather.safeParse(result.toolCalls[0]!.input).success).toBe(true);
      expect(inputs).toHaveLength(1);
    });
  });
});
