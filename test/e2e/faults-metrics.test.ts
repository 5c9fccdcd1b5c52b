/**
 * `aoai_sim_faults_injected_total{deployment,fault,source}` on `GET /metrics`: a known
 * mix of injected faults — by header, scenario, deployment rate and global rate, answer faults and
 * write faults, on chat, embeddings and the Responses API — over both front-end threads (a new
 * connection per request), then one scrape parsed strictly: the series equal the client's tally
 * exactly, per label. A fault that does not apply (no_done on embeddings) is not counted; names
 * nobody configured are folded into `other` as every series' deployment label is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../helpers/clients.js';
import { parsePrometheusText, samples, type Family } from '../helpers/prometheus-text.js';
import { send, type Answer } from '../helpers/one-connection.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
/** deployment|fault|source → count, from the `x-simulator-fault-injected` header the client saw. */
const tally = new Map<string, number>();
let families: Map<string, Family>;
let undefinedNames = 0;
const statsRows: { deployment: string; fault: string; source: string; count: number }[] = [];

const chatPath = (deployment: string): string => `/openai/deployments/${deployment}/chat/completions?api-version=${API_VERSION}`;
const messages = [{ role: 'user', content: 'hello' }];

beforeAll(async () => {
  sim = await startSimulator({
    SIMULATOR_THREADS: '2',
    SIMULATOR_FAULTS: JSON.stringify({
      allow_headers: true,
      seed: 3,
      global: { '500': 1 },
      deployments: { 'gpt-35-turbo-100m-token': { '503;retry_after_ms=10': 1 } },
      scenarios: { alternate: { schedule: ['429', 'ok'], on_exhausted: 'loop' } },
    }),
  });
  const key = { 'api-key': sim.apiKey };
  const count = (deployment: string, source: string, answer: Answer): void => {
    const fault = answer.headers['x-simulator-fault-injected'];
    if (typeof fault !== 'string') return;
    const k = `${deployment}|${fault}|${source}`;
    tally.set(k, (tally.get(k) ?? 0) + 1);
  };
  const jobs: Promise<void>[] = [];
  const job = (deployment: string, source: string, path: string, body: object, headers: Record<string, string> = {}): void => {
    jobs.push(send(sim.url, path, body, { ...key, ...headers }).then((a) => count(deployment, source, a)));
  };
  for (let i = 0; i < 6; i++) job('gpt-4o', 'header', chatPath('gpt-4o'), { messages }, { 'x-simulator-fault': '500' });
  for (let i = 0; i < 4; i++) job('gpt-4o', 'header', chatPath('gpt-4o'), { messages, stream: true }, { 'x-simulator-fault': 'no_done' });
  for (let i = 0; i < 3; i++) job('gpt-4o', 'header', chatPath('gpt-4o'), { messages }, { 'x-simulator-fault': 'ttft;ms=5' });
  // no_done means nothing for embeddings: answered normally, not counted.
  for (let i = 0; i < 3; i++) job('text-embedding-3-small', 'header', `/openai/deployments/text-embedding-3-small/embeddings?api-version=${API_VERSION}`, { input: 'x' }, { 'x-simulator-fault': 'no_done' });
  for (let i = 0; i < 2; i++) job('text-embedding-3-small', 'header', `/openai/deployments/text-embedding-3-small/embeddings?api-version=${API_VERSION}`, { input: 'x' }, { 'x-simulator-fault': '429' });
  for (let i = 0; i < 3; i++) job('gpt-4o', 'header', `/openai/responses?api-version=2025-04-01-preview`, { model: 'gpt-4o', input: 'hi' }, { 'x-simulator-fault': '504;after_ms=0' });
  for (let i = 0; i < 5; i++) job('gpt-35-turbo-100m-token', 'deployment', chatPath('gpt-35-turbo-100m-token'), { messages });
  for (let i = 0; i < 7; i++) job('gpt-4o-mini', 'global', chatPath('gpt-4o-mini'), { messages });
  await Promise.all(jobs);
  // The schedule in order (429, ok, 429, ok, …): sent one after the other.
  for (let i = 0; i < 8; i++) count('gpt-4o', 'scenario', await send(sim.url, chatPath('gpt-4o'), { messages }, { ...key, 'x-simulator-scenario': 'alternate' }));
  // 120 names nobody configured, each with a header fault: a thread labels its first 50, then `other`.
  const names = Array.from({ length: 120 }, (_, i) => `made-up-${i}`);
  undefinedNames = names.length;
  await Promise.all(names.map((name) => send(sim.url, chatPath(name), { messages }, { ...key, 'x-simulator-fault': '500' })));

  const scraped = await send(sim.url, '/metrics', undefined, key);
  expect(scraped.status).toBe(200);
  families = parsePrometheusText(scraped.body);
  const stats = await send(sim.url, '/++/stats', undefined, key);
  statsRows.push(...(JSON.parse(stats.body) as { faults_injected: typeof statsRows }).faults_injected);
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

describe('aoai_sim_faults_injected_total', () => {
  it('is a counter with the documented labels', () => {
    expect(families.get('aoai_sim_faults_injected_total')?.type).toBe('counter');
  });

  it("equals the client's tally exactly, per deployment, fault and source", () => {
    const series = samples(families, 'aoai_sim_faults_injected_total').filter((s) => !s.labels.deployment!.startsWith('made-up-') && s.labels.deployment !== 'other');
    const got = new Map(series.map((s) => [`${s.labels.deployment}|${s.labels.fault}|${s.labels.source}`, s.value]));
    expect(got).toEqual(tally);
    // Every source took part, the scenario exactly half of its eight, and the fault that does not apply was not counted.
    expect(tally.get('gpt-4o|429|scenario')).toBe(4);
    expect(tally.get('gpt-4o-mini|500|global')).toBe(7);
    expect(tally.get('gpt-35-turbo-100m-token|503|deployment')).toBe(5);
    expect(tally.get('gpt-4o|504|header')).toBe(3);
    expect([...tally.keys()].some((k) => k.includes('no_done|header') && k.startsWith('text-embedding'))).toBe(false);
    expect(tally.get('gpt-4o|no_done|header')).toBe(4);
  });

  it('folds names nobody configured into `other` past the first 50 per thread, without losing a count', () => {
    const made = samples(families, 'aoai_sim_faults_injected_total').filter((s) => s.labels.deployment!.startsWith('made-up-') || s.labels.deployment === 'other');
    expect(made.reduce((sum, s) => sum + s.value, 0)).toBe(undefinedNames);
    expect(made.every((s) => s.labels.fault === '500' && s.labels.source === 'header')).toBe(true);
    // Two threads label at most 50 names each; 120 names cannot all have their own value.
    expect(made.filter((s) => s.labels.deployment !== 'other').length).toBeLessThanOrEqual(100);
    expect(made.some((s) => s.labels.deployment === 'other')).toBe(true);
    // The same fold as the request counter's: each fault series' label is one the requests carry too.
    const requests = new Set(samples(families, 'aoai_sim_requests_total').map((s) => s.labels.deployment));
    for (const s of made) expect(requests.has(s.labels.deployment)).toBe(true);
  });

  it('agrees with /++/stats faults_injected (which keeps the raw names)', () => {
    const fromStats = statsRows.filter((r) => !r.deployment.startsWith('made-up-')).map((r) => [`${r.deployment}|${r.fault}|${r.source}`, r.count] as const);
    expect(new Map(fromStats)).toEqual(tally);
    expect(statsRows.filter((r) => r.deployment.startsWith('made-up-')).reduce((sum, r) => sum + r.count, 0)).toBe(undefinedNames);
  });
});
