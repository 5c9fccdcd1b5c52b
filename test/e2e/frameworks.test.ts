/**
 * The frameworks apps build agents and structured apps with, unchanged, against the started
 * simulator: the Vercel AI SDK (`@ai-sdk/azure`: generateObject with zod, generateText with a
 * required tool), LangChain (`AzureChatOpenAI`: withStructuredOutput, bindTools with a forced
 * tool) and the OpenAI Agents SDK (an agent loop over chat completions: tool call → tool result →
 * final answer). Every generated argument and object is checked against its zod schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import OpenAI from 'openai';
import { generateObject, generateText, tool as aiTool } from 'ai';
import { createAzure } from '@ai-sdk/azure';
import { AzureChatOpenAI } from '@langchain/openai';
import { Agent, OpenAIChatCompletionsModel, run, setTracingDisabled } from '@openai/agents';
import { API_VERSION } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';
import { Weather, weatherAgentTool } from '../helpers/weather-tool.js';

const Recipe = z.object({
  title: z.string(),
  servings: z.number().int(),
  ingredients: z.array(z.object({ name: z.string(), grams: z.number().nullable() })),
  vegetarian: z.boolean(),
});

describe('framework clients', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator();
    setTracingDisabled(true);
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  describe('Vercel AI SDK (@ai-sdk/azure, chat model on /openai/v1)', () => {
    // On a host that is not *.openai.azure.com, @ai-sdk/azure appends paths to baseURL as given.
    const azure = () => createAzure({ baseURL: `${sim.url}/openai/v1`, apiKey: sim.apiKey });

    it('generateObject with a zod schema', async () => {
      const { object, finishReason } = await generateObject({ model: azure().chat('gpt-4o'), schema: Recipe, prompt: 'A soup recipe.', maxRetries: 0 });
      expect(Recipe.safeParse(object).success).toBe(true);
      expect(finishReason).toBe('stop');
    });

    it('generateText with a required tool: the call is parsed and executed with valid input', async () => {
      const inputs: unknown[] = [];
      const result = await generateText({
        model: azure().chat('gpt-4o'),
        prompt: 'What is the weather in Oslo?',
        toolChoice: 'required',
        tools: { weather: aiTool({ description: 'Weather', inputSchema: Weather, execute: async (input) => (inputs.push(input), { temperature: 3 }) }) },
        maxRetries: 0,
      });
      expect(result.toolCalls).toHaveLength(1);
      expect(result.toolCalls[0]!.toolName).toBe('weather');
      expect(Weather.safeParse(result.toolCalls[0]!.input).success).toBe(true);
      expect(inputs).toHaveLength(1);
    });
  });

  describe('LangChain (AzureChatOpenAI, deployment routes)', () => {
    const model = () =>
      new AzureChatOpenAI({ azureOpenAIApiKey: sim.apiKey, azureOpenAIEndpoint: sim.url, azureOpenAIApiDeploymentName: 'gpt-4o', azureOpenAIApiVersion: API_VERSION, maxRetries: 0 });

    it('withStructuredOutput(zod) returns an object the schema accepts', async () => {
      const out = await model().withStructuredOutput(Recipe, { name: 'recipe' }).invoke('A pancake recipe.');
      expect(Recipe.safeParse(out).success).toBe(true);
    });

    it('bindTools with a forced tool: one tool call with valid arguments', async () => {
      const ai = await model()
        .bindTools([{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: z.toJSONSchema(Weather) } }], { tool_choice: { type: 'function', function: { name: 'get_weather' } } })
        .invoke('Weather in Rome?');
      expect(ai.tool_calls).toHaveLength(1);
      expect(ai.tool_calls![0]!.name).toBe('get_weather');
      expect(Weather.safeParse(ai.tool_calls![0]!.args).success).toBe(true);
    });
  });

  describe('OpenAI Agents SDK (chat completions model)', () => {
    it('runs an agent loop: tool call, tool result, final answer', async () => {
      const calls: unknown[] = [];
      const weather = weatherAgentTool(calls);
      const client = new OpenAI({ baseURL: `${sim.url}/openai/v1`, apiKey: sim.apiKey, maxRetries: 0 });
      const agent = new Agent({ name: 'forecaster', instructions: 'Answer with the weather.', tools: [weather], model: new OpenAIChatCompletionsModel(client, 'gpt-4o') });
      const result = await run(agent, 'What is the weather in Lisbon?', { maxTurns: 4 });
      expect(calls).toHaveLength(1);
      expect(Weather.safeParse(calls[0]).success).toBe(true);
      expect(typeof result.finalOutput).toBe('string');
      expect((result.finalOutput as string).length).toBeGreaterThan(0);
      const kinds = result.newItems.map((i) => i.type);
      expect(kinds).toEqual(['tool_call_item', 'tool_call_output_item', 'message_output_item']);
    });
  });
});
