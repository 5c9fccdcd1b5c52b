/**
 * What every k6 script here shares: where the simulator is (env), its requests, and a POST that
 * honours 429s the way the openai SDKs do (wait `retry-after-ms`, then retry).
 *
 * Env: SIMULATOR_URL (default http://localhost:8000), SIMULATOR_API_KEY (required),
 * API_VERSION (default 2024-10-21), MAX_TOKENS (default 50).
 */
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';

// A 429 is what a rate-limited deployment answers, not a failure: it stays out of
// http_req_failed (the scripts count and retry it, as the openai SDKs do).
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 429));

export const BASE_URL = (__ENV.SIMULATOR_URL ?? 'http://localhost:8000').replace(/\/+$/, '');
const API_KEY = __ENV.SIMULATOR_API_KEY ?? '';
const API_VERSION = __ENV.API_VERSION ?? '2024-10-21';
export const MAX_TOKENS = Number(__ENV.MAX_TOKENS ?? 50);

/** k6 calls this once before the load: fail fast on a missing key or an unreachable simulator. */
export function checkSimulator(): void {
  if (API_KEY === '') throw new Error('set SIMULATOR_API_KEY (-e SIMULATOR_API_KEY=...)');
  const res = http.get(`${BASE_URL}/`);
  if (res.status !== 200) throw new Error(`${BASE_URL}/ answered ${res.status}: is SIMULATOR_URL right?`);
}

export const operationUrl = (deployment: string, operation: 'chat/completions' | 'embeddings'): string =>
  `${BASE_URL}/openai/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${API_VERSION}`;

export const PARAMS = { headers: { 'api-key': API_KEY, 'content-type': 'application/json' } };

const PROMPTS = ['What is the meaning of life?', 'Summarise the plot of a film you like.', 'Write a haiku about load tests.', 'Explain rate limits to a child.'];

/** A chat body; `__ITER` varies the prompt a little, as real traffic would. */
export function chatBody(stream: boolean): string {
  const content = PROMPTS[__ITER % PROMPTS.length] ?? PROMPTS[0]!;
  return JSON.stringify({ messages: [{ role: 'user', content }], max_tokens: MAX_TOKENS, ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}) });
}

export const embeddingsBody = (): string => JSON.stringify({ input: [`Load test sentence ${__ITER}.`, 'Another sentence to embed.'] });

const throttled = new Counter('simulator_429');
const retryWait = new Trend('simulator_retry_wait', true);

/** How long a 429 asks to wait (ms): `retry-after-ms`, else `retry-after` in seconds. */
function retryAfterMs(res: RefinedResponse<ResponseType | undefined>): number {
  const ms = Number(res.headers['Retry-After-Ms'] ?? res.headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms > 0) return ms;
  const s = Number(res.headers['Retry-After'] ?? res.headers['retry-after']);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 1000;
}

/** POST, retrying 429s after the wait they ask for (up to `maxRetries`); answers the last response. */
export function postWithRetry(url: string, body: string, tags: Record<string, string>, maxRetries = 3): RefinedResponse<'text'> {
  let res = http.post(url, body, { ...PARAMS, tags, responseType: 'text' });
  for (let attempt = 0; res.status === 429 && attempt < maxRetries; attempt++) {
    throttled.add(1, tags);
    const wait = retryAfterMs(res);
    retryWait.add(wait, tags);
    sleep(wait / 1000);
    res = http.post(url, body, { ...PARAMS, tags, responseType: 'text' });
  }
  if (res.status === 429) throttled.add(1, tags);
  return res;
}
