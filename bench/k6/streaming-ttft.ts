/**
 * Streamed chat, event by event, with the xk6-sse extension (k6 ≥ 1.2 builds it from the import;
 * older k6: `xk6 build --with github.com/phymbert/xk6-sse`): time to first token, time per output
 * token and tokens per stream from the client's side — what `/metrics`'
 * gen_ai_server_time_to_first_token_seconds and …_time_per_output_token_seconds show from the
 * simulator's side. A stream that ends without `[DONE]` counts in llm_stream_without_done, a transport error in
 * llm_stream_errors.
 *
 *   k6 run -e SIMULATOR_URL=https://<app>.azurecontainerapps.io -e SIMULATOR_API_KEY=<key> \
 *          [-e DEPLOYMENT=gpt-4o] [-e VUS=200] [-e DURATION=2m] bench/k6/streaming-ttft.ts
 */
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import sse from 'k6/x/sse';
import { chatBody, checkSimulator, operationUrl, PARAMS } from './simulator.ts';

const DEPLOYMENT = __ENV.DEPLOYMENT ?? 'gpt-4o';
const firstToken = new Trend('llm_time_to_first_token', true);
const perToken = new Trend('llm_time_per_output_token', true);
const outputTokens = new Counter('llm_output_tokens');
const withoutDone = new Rate('llm_stream_without_done');
const streamErrors = new Counter('llm_stream_errors');

export const options: Options = {
  scenarios: {
    streams: { executor: 'constant-vus', vus: Number(__ENV.VUS ?? 200), duration: __ENV.DURATION ?? '2m' },
  },
  thresholds: {
    llm_stream_without_done: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
};

export function setup(): void {
  checkSimulator();
}

interface Chunk {
  readonly choices?: readonly { readonly delta?: { readonly content?: string } }[];
}

export default function (): void {
  const tags = { operation: 'stream', deployment: DEPLOYMENT };
  const started = Date.now();
  let first = 0;
  let last = 0;
  let tokens = 0;
  let done = false;
  const res = sse.open(operationUrl(DEPLOYMENT, 'chat/completions'), { method: 'POST', body: chatBody(true), headers: PARAMS.headers, tags }, (client) => {
    client.on('event', (event) => {
      if (event.data === '[DONE]') {
        done = true;
        return client.close();
      }
      const chunk = JSON.parse(event.data) as Chunk;
      if (!chunk.choices?.[0]?.delta?.content) return; // the prompt filter, the role, the usage
      const now = Date.now();
      if (tokens === 0) first = now;
      last = now;
      tokens++;
    });
    client.on('error', () => streamErrors.add(1, tags));
  });
  // A 429 is an expected answer under load (simulator.ts marks it so): no stream to time.
  if (res.status === 429) return;
  if (tokens > 0) firstToken.add(first - started, tags);
  if (tokens > 1) perToken.add((last - first) / (tokens - 1), tags);
  outputTokens.add(tokens, tags);
  withoutDone.add(!done, tags);
  check(res, { 'status 200': (r) => r.status === 200, 'tokens arrived': () => tokens > 0 });
}
