/**
 * A front-end thread that exits while main waits for every thread's answer: the waiting request
 * gets a clear 503 in the AOAI envelope at once (not main's timeout, not a hang), and the
 * simulator keeps serving, the restarted thread included.
 *
 * The exit is made with a test-only hook that is off by default:
 * SIMULATOR_TEST_EXIT_ON_FOREIGN_CONFIG=1 makes a thread that receives a configuration change it
 * did not ask for shut down (its normal shutdown path) instead of applying it. With two threads,
 * the one that took the PATCH waits, and the other exits during the PATCH.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchConfig, startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ SIMULATOR_THREADS: '2', SIMULATOR_TEST_EXIT_ON_FOREIGN_CONFIG: '1' });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

const chat = (): Promise<Response> =>
  fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions`, {
    method: 'POST',
    headers: { 'api-key': sim.apiKey, 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }),
  });

describe('a front-end thread exits during PATCH /++/config', () => {
  it('answers the PATCH with a 503 naming the thread, and keeps serving', async () => {
    const res = await patchConfig(sim, { latency: { open_ai_embeddings: { mean: 7 } } });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error.code).toBe('ServiceUnavailable');
    expect(body.error.type).toBe('server_error');
    // The exit ended the wait, not main's timeout: the reason says which thread went away.
    expect(body.error.message).toMatch(/front-end thread \d exited before answering/);
    expect(body.error.message).toContain('the change is kept');

    // Main saw the exit and starts a replacement.
    await expect.poll(() => sim.stderr(), { timeout: 20_000 }).toMatch(/front-end thread \d exited \(code 0\); starting a new one/);

    // Every new connection is served, by the surviving thread and (once it listens) the new one.
    const answers = await Promise.all(Array.from({ length: 8 }, chat));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    await Promise.all(answers.map((r) => r.text()));
    // The change was kept: the surviving thread applied it, a restarted thread starts with it.
    for (let i = 0; i < 6; i++) {
      const config = await fetch(`${sim.url}/++/config`, { headers: { 'api-key': sim.apiKey, connection: 'close' } });
      expect(((await config.json()) as { latency: Record<string, { mean: number }> }).latency.open_ai_embeddings!.mean).toBe(7);
    }
    // Questions to every thread work again.
    const stats = await fetch(`${sim.url}/++/stats`, { headers: { 'api-key': sim.apiKey } });
    expect(stats.status).toBe(200);
  });
});
