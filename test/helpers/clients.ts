/** Official `openai` SDK clients pointed at a started simulator, with retries off. */
import OpenAI, { AzureOpenAI } from 'openai';
import { getEncoding, type Tiktoken } from 'js-tiktoken';
import type { Simulator } from './simulator.js';

export const API_VERSION = '2024-10-21';

export function azureClient(sim: Simulator, apiKey = sim.apiKey): AzureOpenAI {
  return new AzureOpenAI({ endpoint: sim.url, apiKey, apiVersion: API_VERSION, maxRetries: 0 });
}

/** The headers that ask for a fault or a fault scenario (SIMULATOR_FAULT_HEADERS on), none for undefined. */
export const faultHeaders = (fault?: string, scenario?: string): Record<string, string> => ({
  ...(fault ? { 'x-simulator-fault': fault } : {}),
  ...(scenario ? { 'x-simulator-scenario': scenario } : {}),
});

/** The OpenAI-style client on `/v1/…` (or `/openai/v1/…`): the deployment is the body's `model`. */
export function openaiClient(sim: Simulator, prefix: '/v1' | '/openai/v1' = '/v1', apiKey = sim.apiKey): OpenAI {
  return new OpenAI({ baseURL: `${sim.url}${prefix}`, apiKey, maxRetries: 0 });
}

/** An independent token oracle: js-tiktoken's own full build, not the simulator's code. */
const encoders = new Map<string, Tiktoken>();
export function tokens(text: string, encoding: 'cl100k_base' | 'o200k_base'): number {
  let enc = encoders.get(encoding);
  if (!enc) encoders.set(encoding, (enc = getEncoding(encoding)));
  return enc.encode(text, [], []).length;
}

/**
 * Builds both oracle encoders now. Call it in `beforeAll`: building o200k_base in js-tiktoken
 * blocks this process for seconds on a loaded machine, and if that happens between two requests
 * on a kept-alive socket, uWebSockets.js closes the socket after its 10 s idle timeout while the
 * client (whose own keep-alive timer could not fire) reuses it: "other side closed".
 */
export function warmTokenOracle(): void {
  tokens('', 'cl100k_base');
  tokens('', 'o200k_base');
}
