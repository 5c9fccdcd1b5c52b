/**
 * Mixed traffic over several deployments, with rate limits: each deployment gets its own
 * arrival rate; 429s are retried after `retry-after-ms` (as the openai SDKs do) and counted in
 * `simulator_429`, the waits in `simulator_retry_wait`. A 429 is an expected answer here, not a
 * failure.
 *
 *   k6 run -e SIMULATOR_URL=https://<app>.azurecontainerapps.io -e SIMULATOR_API_KEY=<key> \
 *          [-e CHAT_DEPLOYMENTS=gpt-4o,gpt-35-turbo-10k-token] [-e EMBEDDING_DEPLOYMENTS=embedding] \
 *          [-e RATE=50] [-e DURATION=2m] bench/k6/mixed.ts
 *
 * The defaults are deployments every simulator has (gpt-35-turbo-10k-token and embedding are
 * limited built-ins, so some 429s are certain at the default rate).
 */
import http from 'k6/http';
import { check } from 'k6';
import type { Options, Scenario } from 'k6/options';
import { chatBody, checkSimulator, embeddingsBody, operationUrl, postWithRetry } from './simulator.ts';

const list = (value: string | undefined, fallback: string): string[] => (value ?? fallback).split(',').map((s) => s.trim()).filter((s) => s !== '');
const CHAT = list(__ENV.CHAT_DEPLOYMENTS, 'gpt-4o,gpt-35-turbo-10k-token');
const EMBEDDING = list(__ENV.EMBEDDING_DEPLOYMENTS, 'embedding');
const RATE = Number(__ENV.RATE ?? 50);
const DURATION = __ENV.DURATION ?? '2m';

function scenario(exec: 'chat' | 'embeddings', deployment: string): Scenario {
  return {
    executor: 'constant-arrival-rate',
    exec,
    env: { DEPLOYMENT: deployment },
    rate: RATE,
    timeUnit: '1s',
    duration: DURATION,
    preAllocatedVUs: Math.max(10, RATE),
    maxVUs: RATE * 20,
  };
}

export const options: Options = {
  scenarios: Object.fromEntries([
    ...CHAT.map((d) => [`chat_${d}`, scenario('chat', d)] as const),
    ...EMBEDDING.map((d) => [`embeddings_${d}`, scenario('embeddings', d)] as const),
  ]),
  thresholds: {
    // 429s are expected (see setup): failures are anything else outside 2xx.
    http_req_failed: ['rate<0.01'],
  },
};

export function setup(): void {
  checkSimulator();
}

// A 429 is the simulator doing its job: not a failed request.
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 429));

function run(operation: 'chat/completions' | 'embeddings', body: string): void {
  const deployment = __ENV.DEPLOYMENT ?? '';
  const res = postWithRetry(operationUrl(deployment, operation), body, { operation, deployment });
  check(res, {
    'answered (200, or 429 after retries)': (r) => r.status === 200 || r.status === 429,
    '429s say when to retry': (r) => r.status !== 429 || r.headers['Retry-After-Ms'] !== undefined,
  });
}

export function chat(): void {
  run('chat/completions', chatBody(false));
}

export function embeddings(): void {
  run('embeddings', embeddingsBody());
}
