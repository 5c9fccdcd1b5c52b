/**
 * The one function tool the framework tests give their agents: a zod schema and an OpenAI Agents
 * SDK tool that records each call's input, so a test can check it against the schema.
 */
import { z } from 'zod';
import { tool as agentTool } from '@openai/agents';

export const Weather = z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) });

/** `get_weather` for an Agents SDK agent; every input it is called with is pushed to `calls`. */
export function weatherAgentTool(calls: unknown[]) {
  return agentTool({
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: Weather,
    execute: async (input) => {
      calls.push(input);
      return `It is 18 degrees in ${input.city}.`;
    },
  });
}
