/**
 * The live page `/++/dashboard` in a real browser (Debian's Chromium through playwright-core;
 * the test set-up installs it): it asks for the key and keeps it in the tab's sessionStorage,
 * lists every deployment of a 50-deployment configuration, shows the numbers `/metrics` has after
 * traffic, and follows new traffic without a reload. It saves a screenshot taken under load to
 * test-results/dashboard.png (and to docs/dashboard.png with UPDATE_DASHBOARD_SCREENSHOT=1).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION } from '../helpers/clients.js';
import { parsePrometheusText, samples } from '../helpers/prometheus-text.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEPLOYMENTS = Array.from({ length: 49 }, (_, i) => `team-${String(i).padStart(2, '0')}`);

let sim: Simulator;
let browser: Browser;
let page: Page;

const chat = (deployment: string, body: object = {}): Promise<Response> =>
  fetch(`${sim.url}/openai/deployments/${deployment}/chat/completions?api-version=${API_VERSION}`, {
    method: 'POST',
    headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 20, ...body }),
  }).then(async (r) => {
    await r.text();
    return r;
  });

/** Per deployment: requests and 429s, as /metrics says. */
async function scrape(): Promise<Map<string, { requests: number; limited: number }>> {
  const text = await (await fetch(`${sim.url}/metrics`, { headers: { 'api-key': sim.apiKey } })).text();
  const families = parsePrometheusText(text);
  const figures = new Map<string, { requests: number; limited: number }>();
  const at = (d: string): { requests: number; limited: number } => figures.get(d) ?? (figures.set(d, { requests: 0, limited: 0 }), figures.get(d)!);
  for (const s of samples(families, 'aoai_sim_requests_total')) if (s.labels.deployment !== 'none') at(s.labels.deployment!).requests += s.value;
  for (const s of samples(families, 'aoai_sim_rate_limited_total')) at(s.labels.deployment!).limited += s.value;
  return figures;
}

/** What the page shows in a row's cell, as a number. */
const shown = (deployment: string, field: string): Promise<number> =>
  page.locator(`tr[data-deployment="${deployment}"] td[data-field="${field}"]`).innerText().then((t) => Number(t.replace(/,/g, '')));

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'aoai-sim-dashboard-')), 'deployments.json');
  const config: Record<string, object> = Object.fromEntries(DEPLOYMENTS.map((name, i) => [name, { model: 'gpt-4o', tokensPerMinute: 100_000 * (i + 1) }]));
  config['tight'] = { model: 'gpt-4o', tokensPerMinute: 1_000 };
  writeFileSync(file, JSON.stringify(config));
  // A little simulated latency, so streams are under way while the page watches.
  sim = await startSimulator({ OPENAI_DEPLOYMENT_CONFIG_PATH: file, SIMULATOR_THREADS: '2', LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '4', LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '1' });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
});
afterAll(async () => {
  await browser?.close();
  expect(await sim.stop()).toBe(0);
});

describe('/++/dashboard', () => {
  it('asks for the key, keeps it in sessionStorage, and lists every deployment', async () => {
    await page.goto(`${sim.url}/++/dashboard?interval=300`);
    await page.locator('#key-form').waitFor({ state: 'visible' });
    await page.fill('#key', sim.apiKey);
    await page.click('#key-form button');
    await expect.poll(() => page.locator('tr[data-deployment]').count(), { timeout: 15_000 }).toBe(50);
    expect(await page.evaluate(() => sessionStorage.getItem('aoai-simulated-api.key'))).toBe(sim.apiKey);
    expect(await page.locator('#key-form').isHidden()).toBe(true);
  });

  it('shows the numbers /metrics has after traffic', async () => {
    for (let i = 0; i < 6; i++) await chat('team-00');
    for (let i = 0; i < 3; i++) await chat('team-07', { stream: true });
    for (let i = 0; i < 10; i++) await chat('tight', { max_tokens: 200 }); // 1,000 TPM: most of these get 429s
    const metrics = await scrape();
    expect(metrics.get('tight')!.limited).toBeGreaterThan(0);
    for (const deployment of ['team-00', 'team-07', 'tight']) {
      await expect.poll(() => shown(deployment, 'requests'), { timeout: 15_000 }).toBe(metrics.get(deployment)!.requests);
    }
    expect((await shown('tight', 'limited-tokens')) + (await shown('tight', 'limited-requests'))).toBe(metrics.get('tight')!.limited);
    expect(await shown('team-00', 'limited-tokens')).toBe(0);
    // Busiest first.
    expect(await page.locator('tr[data-deployment]').first().getAttribute('data-deployment')).toBe('tight');
    // Latency percentiles are drawn from the histogram (not a dash).
    expect(await page.locator('tr[data-deployment="team-00"] td[data-field="p50"]').innerText()).toMatch(/\d+(\.\d+)? (ms|s)$/);
    expect(await page.locator('tr[data-deployment="team-07"] td[data-field="ttft-p50"]').innerText()).toMatch(/\d+(\.\d+)? (ms|s)$/);
  });

  it('follows new traffic without a reload, and saves a screenshot under load', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const before = await shown('team-03', 'requests');
    // Load: 8 clients for ~2 s, streams and plain answers over a dozen deployments.
    const until = Date.now() + 2_000;
    const client = async (n: number): Promise<void> => {
      for (let i = 0; Date.now() < until; i++) await chat(DEPLOYMENTS[(n * 3 + i) % 12]!, i % 3 === 0 ? { stream: true, max_tokens: 40 } : {});
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, n) => client(n)));
    await expect.poll(() => shown('team-03', 'requests'), { timeout: 15_000 }).toBeGreaterThan(before);
    await page.waitForTimeout(900); // a few polls into the load: rates and meters drawn
    const png = await page.screenshot({ fullPage: true });
    await load;
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    writeFileSync(join(ROOT, 'test-results', 'dashboard.png'), png);
    if (process.env.UPDATE_DASHBOARD_SCREENSHOT === '1') writeFileSync(join(ROOT, 'docs', 'dashboard.png'), png);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // Same page (no reload), and after the load it settles on /metrics' figures.
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
    const metrics = await scrape();
    await expect.poll(() => shown('team-03', 'requests'), { timeout: 15_000 }).toBe(metrics.get('team-03')!.requests);
    expect(Number(await page.evaluate(() => document.body.dataset.polls))).toBeGreaterThan(3);
  });
});
