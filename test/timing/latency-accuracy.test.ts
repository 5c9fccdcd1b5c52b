/**
 * Timing accuracy of the latency model: run last and alone (the `timing` project in
 * vitest.config.ts), on raw sockets, so that what is measured is the simulator and not the rest
 * of the suite or an SDK's own work. Bounds below are exact (timers never fire early).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timedPosts } from '../helpers/timed-requests.js';
import { patchConfig, startSimulator, type Simulator } from '../helpers/simulator.js';

const PER_TOKEN_MS = 20;
const messages = [{ role: 'user' as const, content: 'hello' }];
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ SIMULATOR_ANSWER_LENGTH: 'fill', LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: String(PER_TOKEN_MS) });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

describe('latency accuracy', () => {
  it('200 concurrent answers match the model: mean duration within 5 % of mean × tokens, spread by std_dev', async () => {
    const TOKENS = 100;
    const STD_DEV_MS = 2; // 10 % of the per-token mean: every answer gets its own sample
    // 2 s: the clients' and the shared cores' fixed cost (measured 30–40 ms for 200 at once) stays small beside it
    const target = PER_TOKEN_MS * TOKENS;
    const patch = (stdDev: number): Promise<Response> => patchConfig(sim, { latency: { open_ai_chat_completions: { std_dev: stdDev } } });
    expect((await patch(STD_DEV_MS)).status).toBe(200);
    try {
      const answers = await timedPosts(
        Number(new URL(sim.url).port),
        '/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21',
        { 'api-key': sim.apiKey },
        JSON.stringify({ messages, max_tokens: TOKENS }),
        200,
      );
      for (const a of answers) expect(JSON.parse(a.body).usage.completion_tokens).toBe(TOKENS);
      const durations = answers.map((a) => a.durationMs);
      const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
      expect(mean).toBeGreaterThanOrEqual(target * 0.95);
      expect(mean).toBeLessThanOrEqual(target * 1.05);
      // Sampled per request, not one delay for all: a 10 % per-token std_dev spreads 200 answers
      // over hundreds of ms (the standard deviation of their durations is ~200 ms).
      expect(Math.max(...durations) - Math.min(...durations)).toBeGreaterThan(target * 0.2);
    } finally {
      expect((await patch(0)).status).toBe(200);
    }
  });

});
