/**
 * `GET /metrics` after a known mix of requests, across both front-end threads (a new connection
 * per request, which the kernel spreads over the threads' sockets): chat, streams, embeddings,
 * 429s on a limited deployment, an undefined deployment, an unauthenticated request. The
 * exposition is parsed strictly (test/helpers/prometheus-text.ts) and its counters must equal,
 * exactly, what the client saw; histograms carry the documented buckets; the counters also agree
 * with an independent parser (parse-prometheus-text-format). Access: the key by default, public
 * when set; SIMULATOR_METRICS=false turns it off.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUCKETS } from '../../src/protocol/metrics.js';
import { API_VERSION } from '../helpers/clients.js';
import { parsePrometheusText, samples, type Family } from '../helpers/prometheus-text.js';
import { send, type Answer } from '../helpers/one-connection.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

/** What the client saw, in the metrics' terms. */
class Tally {
  readonly requests = new Map<string, number>();
  readonly prompt = new Map<string, number>();
  readonly completion = new Map<string, number>();
  readonly limited = new Map<string, number>();
  streams = 0;

  add(map: Map<string, number>, key: string, n: number): void {
    map.set(key, (map.get(key) ?? 0) + n);
  }
}

const usageOf = (answer: Answer, stream: boolean): { prompt_tokens: number; completion_tokens?: number } => {
  if (!stream) return (JSON.parse(answer.body) as { usage: { prompt_tokens: number; completion_tokens?: number } }).usage;
  const events = answer.body.split('\n\n').filter((e) => e.startsWith('data: {'));
  return (JSON.parse(events.at(-1)!.slice(6)) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
};

let sim: Simulator;
const tally = new Tally();
let families: Map<string, Family>;
let text: string;

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'aoai-sim-metrics-')), 'deployments.json');
  writeFileSync(
    file,
    JSON.stringify({
      chat: { model: 'gpt-4o', tokensPerMinute: 10_000_000 },
      limited: { model: 'gpt-4o', tokensPerMinute: 1_000 }, // 6 requests / 10 s, 1,000 tokens / 60 s
      embed: { model: 'text-embedding-3-small', tokensPerMinute: 10_000_000 },
    }),
  );
  sim = await startSimulator({ OPENAI_DEPLOYMENT_CONFIG_PATH: file, SIMULATOR_THREADS: '2' });
  const key = { 'api-key': sim.apiKey };
  const deploymentPath = (name: string, op: string): string => `/openai/deployments/${name}/${op}?api-version=${API_VERSION}`;
  const record = (deployment: string, operation: string, stream: boolean, answer: Answer): void => {
    tally.add(tally.requests, `${deployment}|${operation}|${answer.status}|${stream}`, 1);
    if (answer.status === 200) {
      const usage = usageOf(answer, stream);
      tally.add(tally.prompt, `${deployment}|${operation}`, usage.prompt_tokens);
      tally.add(tally.completion, `${deployment}|${operation}`, usage.completion_tokens ?? 0);
    }
    if (answer.status === 429) tally.add(tally.limited, `${deployment}|${answer.headers['x-ratelimit-reset-tokens'] !== undefined ? 'tokens' : 'requests'}`, 1);
  };

  const jobs: Promise<void>[] = [];
  for (let i = 0; i < 16; i++) {
    const body = { messages: [{ role: 'user', content: `hello number ${i}` }], max_tokens: 5 + i };
    jobs.push(send(sim.url, deploymentPath('chat', 'chat/completions'), body, key).then((a) => record('chat', 'chat', false, a)));
  }
  for (let i = 0; i < 8; i++) {
    const body = { messages: [{ role: 'user', content: `stream ${i}` }], max_tokens: 10, stream: true, stream_options: { include_usage: true } };
    jobs.push(send(sim.url, deploymentPath('chat', 'chat/completions'), body, key).then((a) => record('chat', 'chat', true, a)));
  }
  for (let i = 0; i < 6; i++) {
    jobs.push(send(sim.url, deploymentPath('embed', 'embeddings'), { input: ['some words to embed', `and more ${i}`] }, key).then((a) => record('embed', 'embeddings', false, a)));
  }
  for (let i = 0; i < 4; i++) {
    const body = { messages: [{ role: 'user', content: 'who am I' }], max_tokens: 8 };
    jobs.push(send(sim.url, deploymentPath('made-up-deployment', 'chat/completions'), body, key).then((a) => record('made-up-deployment', 'chat', false, a)));
  }
  await Promise.all(jobs);
  // The limited deployment: 6 requests per 10 s, 1,000 tokens per minute — some pass, the rest get 429s.
  for (let i = 0; i < 12; i++) {
    const body = { messages: [{ role: 'user', content: 'limited' }], max_tokens: 120 };
    record('limited', 'chat', false, await send(sim.url, deploymentPath('limited', 'chat/completions'), body, key));
  }
  // Without the key: a 401 on the chat route (the deployment is not known before the key is checked).
  const refused = await send(sim.url, deploymentPath('chat', 'chat/completions'), { messages: [] }, {});
  expect(refused.status).toBe(401);
  tally.add(tally.requests, 'none|chat|401|false', 1);

  const scraped = await send(sim.url, '/metrics', undefined, key);
  expect(scraped.status).toBe(200);
  expect(scraped.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  text = scraped.body;
  families = parsePrometheusText(text);
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

const byLabels = (name: string, labels: readonly string[]): Map<string, number> =>
  new Map(samples(families, name).map((s) => [labels.map((l) => s.labels[l]).join('|'), s.value]));

describe('GET /metrics after a known mix', () => {
  it('counts every request by deployment, operation, status and stream, exactly', () => {
    expect(tally.limited.size).toBeGreaterThan(0); // the mix did reach the limit
    expect(byLabels('aoai_sim_requests_total', ['deployment', 'operation', 'status_code', 'stream'])).toEqual(tally.requests);
  });

  it('counts prompt and completion tokens of successful requests, as the answers reported them', () => {
    expect(byLabels('aoai_sim_prompt_tokens_total', ['deployment', 'operation'])).toEqual(tally.prompt);
    expect(byLabels('aoai_sim_completion_tokens_total', ['deployment', 'operation'])).toEqual(tally.completion);
  });

  it('counts 429s by the limit that refused them', () => {
    expect(byLabels('aoai_sim_rate_limited_total', ['deployment', 'limit'])).toEqual(tally.limited);
  });

  it('spreads the mix over both threads and adds them up', () => {
    const perThread = byLabels('aoai_sim_front_end_requests_total', ['thread']);
    expect([...perThread.keys()].sort()).toEqual(['0', '1']);
    for (const n of perThread.values()) expect(n).toBeGreaterThan(0);
    const total = [...tally.requests.values()].reduce((a, b) => a + b, 0);
    expect([...perThread.values()].reduce((a, b) => a + b, 0)).toBe(total);
  });

  it('has histograms with the documented buckets, one observation per request', () => {
    const les = (name: string): string[] => [...new Set(samples(families, `${name}_bucket`).map((s) => s.labels.le!))];
    const asText = (bounds: readonly number[]): string[] => [...bounds.map(String), '+Inf'];
    expect(les('gen_ai_server_request_duration_seconds')).toEqual(asText(BUCKETS.duration));
    expect(les('gen_ai_server_time_to_first_token_seconds')).toEqual(asText(BUCKETS.firstToken));
    expect(les('gen_ai_server_time_per_output_token_seconds')).toEqual(asText(BUCKETS.perToken));
    expect(les('aoai_sim_overhead_seconds')).toEqual(asText(BUCKETS.overhead));
    expect(BUCKETS.duration).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    // Every answered request is one duration observation, with the same labels as its count.
    expect(byLabels('gen_ai_server_request_duration_seconds_count', ['deployment', 'operation', 'status_code', 'stream'])).toEqual(tally.requests);
    // Time to first token: one per stream.
    expect(byLabels('gen_ai_server_time_to_first_token_seconds_count', ['deployment', 'operation'])).toEqual(new Map([['chat|chat', 8]]));
  });

  it('reports the limits and what is left of them, read from the shared windows', () => {
    expect(byLabels('aoai_sim_limit_tokens_per_minute', ['deployment'])).toEqual(new Map([['chat', 10_000_000], ['limited', 1_000], ['embed', 10_000_000]]));
    const admitted = tally.requests.get('limited|chat|200|false') ?? 0;
    expect(admitted).toBeGreaterThan(0);
    expect(byLabels('aoai_sim_limit_remaining_tokens', ['deployment']).get('limited')).toBe(1_000 - 120 * admitted);
  });

  it('has the gauges, the pool and main’s process metrics', () => {
    // The scrape itself is a management route: not counted.
    expect(samples(families, 'aoai_sim_inflight_requests')[0]!.value).toBe(0);
    expect(samples(families, 'aoai_sim_active_streams')[0]!.value).toBe(0);
    expect(samples(families, 'aoai_sim_pool_queue_depth')[0]!.value).toBe(0);
    expect(samples(families, 'aoai_sim_front_end_threads')[0]!.value).toBe(2);
    expect(families.get('process_resident_memory_bytes')?.type).toBe('gauge');
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
  });

  it('agrees with an independent parser on the counters', () => {
    const other = parsePrometheusTextFormat(text) as { name: string; metrics: { labels?: Record<string, string>; value?: string }[] }[];
    const requests = other.find((f) => f.name === 'aoai_sim_requests_total')!;
    expect(new Map(requests.metrics.map((m) => [`${m.labels!.deployment}|${m.labels!.operation}|${m.labels!.status_code}|${m.labels!.stream}`, Number(m.value)]))).toEqual(tally.requests);
  });
});

describe('who may read /metrics', () => {
  it('needs the key by default', async () => {
    expect((await send(sim.url, '/metrics', undefined, {})).status).toBe(401);
    expect((await send(sim.url, '/metrics', undefined, { authorization: `Bearer ${sim.apiKey}` })).status).toBe(200);
  });

  it('is public with SIMULATOR_METRICS_ACCESS=public; off with SIMULATOR_METRICS=false (404 naming the setting)', async () => {
    const open = await startSimulator({ SIMULATOR_METRICS_ACCESS: 'public', SIMULATOR_THREADS: '1' });
    const off = await startSimulator({ SIMULATOR_METRICS: 'false', SIMULATOR_THREADS: '1' });
    try {
      const publicAnswer = await send(open.url, '/metrics', undefined, {});
      expect(publicAnswer.status).toBe(200);
      expect(publicAnswer.body).toContain('# TYPE aoai_sim_requests_total counter');
      const offAnswer = await send(off.url, '/metrics', undefined, { 'api-key': off.apiKey });
      expect(offAnswer.status).toBe(404);
      expect(offAnswer.body).toContain('SIMULATOR_METRICS=false');
      // The API itself is unchanged with metrics off.
      const chat = await send(off.url, `/openai/deployments/x/chat/completions?api-version=${API_VERSION}`, { messages: [{ role: 'user', content: 'hi' }] }, { 'api-key': off.apiKey });
      expect(chat.status).toBe(200);
    } finally {
      expect(await open.stop()).toBe(0);
      expect(await off.stop()).toBe(0);
    }
  });
});
