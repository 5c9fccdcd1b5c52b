/**
 * Non-streaming chat at a fixed arrival rate against one deployment.
 *
 *   k6 run -e SIMULATOR_URL=https://<app>.azurecontainerapps.io -e SIMULATOR_API_KEY=<key> \
 *          [-e DEPLOYMENT=gpt-4o] [-e RATE=200] [-e DURATION=2m] bench/k6/chat.ts
 */
import { check } from 'k6';
import type { Options } from 'k6/options';
import { chatBody, checkSimulator, operationUrl, postWithRetry } from './simulator.ts';

const DEPLOYMENT = __ENV.DEPLOYMENT ?? 'gpt-4o';

export const options: Options = {
  scenarios: {
    chat: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE ?? 200),
      timeUnit: '1s',
      duration: __ENV.DURATION ?? '2m',
      preAllocatedVUs: Number(__ENV.VUS ?? 100),
      maxVUs: Number(__ENV.MAX_VUS ?? 1000),
    },
  },
  thresholds: {
    http_req_failed: ['rate<0.01'],
    // The simulator's answer time is its latency model's (≈19 ms a token by default): p95 well
    // above it means the simulator or the network is the bottleneck, not the model.
    'http_req_duration{operation:chat}': ['p(95)<' + String(Number(__ENV.P95_MS ?? 3000))],
  },
};

export function setup(): void {
  checkSimulator();
}

export default function (): void {
  const res = postWithRetry(operationUrl(DEPLOYMENT, 'chat/completions'), chatBody(false), { operation: 'chat', deployment: DEPLOYMENT });
  check(res, {
    'status 200': (r) => r.status === 200,
    'has usage': (r) => r.status !== 200 || (r.json('usage.total_tokens') as number) > 0,
  });
}
