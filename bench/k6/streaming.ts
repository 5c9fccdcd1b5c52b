/**
 * Streamed chat: k6 reads a response whole, so this checks each stream's events and measures the
 * time to its first byte (the first event) and to its end.
 *
 *   k6 run -e SIMULATOR_URL=https://<app>.azurecontainerapps.io -e SIMULATOR_API_KEY=<key> \
 *          [-e DEPLOYMENT=gpt-4o] [-e VUS=200] [-e DURATION=2m] bench/k6/streaming.ts
 */
import { check } from 'k6';
import { Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { chatBody, checkSimulator, MAX_TOKENS, operationUrl, postWithRetry } from './simulator.ts';

const DEPLOYMENT = __ENV.DEPLOYMENT ?? 'gpt-4o';
const firstByte = new Trend('stream_time_to_first_byte', true);
const events = new Trend('stream_events');

export const options: Options = {
  scenarios: {
    // Each VU holds one stream at a time: VUS is the number of concurrent streams.
    streams: { executor: 'constant-vus', vus: Number(__ENV.VUS ?? 200), duration: __ENV.DURATION ?? '2m' },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
  },
};

export function setup(): void {
  checkSimulator();
}

export default function (): void {
  const res = postWithRetry(operationUrl(DEPLOYMENT, 'chat/completions'), chatBody(true), { operation: 'stream', deployment: DEPLOYMENT });
  const body = res.body ?? '';
  const count = body.split('\n\n').filter((e) => e.startsWith('data: ')).length;
  firstByte.add(res.timings.waiting);
  events.add(count);
  check(res, {
    'status 200': (r) => r.status === 200,
    'event stream': (r) => String(r.headers['Content-Type'] ?? '').startsWith('text/event-stream'),
    'ends with [DONE]': () => body.trimEnd().endsWith('data: [DONE]'),
    // prompt filter, role, one per token, finish, usage, [DONE]
    'one event per token': () => count >= MAX_TOKENS + 4 || body.includes('"finish_reason":"stop"'),
  });
}
