/**
 * GET/PATCH /++/config: the Python simulator's shape, behind the API key; a PATCH is validated
 * (400 naming the bad value, nothing applied) and takes effect for the next request on every
 * front-end thread.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureClient } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ SIMULATOR_ANSWER_LENGTH: 'fill', SIMULATOR_THREADS: '2' });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

const config = (method: 'GET' | 'PATCH', body?: unknown, key = sim.apiKey): Promise<Response> =>
  fetch(`${sim.url}/++/config`, {
    method,
    headers: { 'api-key': key, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

interface ConfigShape {
  simulator_mode: string;
  allow_undefined_openai_deployments: boolean;
  latency: Record<string, { mean: number; std_dev: number }>;
  openai_deployments: Record<string, { model: string; tokens_per_minute: number }> | null;
}

describe('/++/config', () => {
  it('answers the current configuration, only with the key', async () => {
    expect((await config('GET', undefined, 'wrong')).status).toBe(401);
    const res = await config('GET');
    expect(res.status).toBe(200);
    const body = (await res.json()) as ConfigShape;
    expect(body.simulator_mode).toBe('generate');
    expect(body.latency.open_ai_chat_completions).toEqual({ mean: 0, std_dev: 0, ttft_mean: 0, ttft_std_dev: 0 });
    expect(Object.keys(body.latency).sort()).toEqual(['open_ai_chat_completions', 'open_ai_completions', 'open_ai_embeddings', 'open_ai_images', 'open_ai_translations']);
    expect(body.openai_deployments!['gpt-35-turbo-1k-token']).toMatchObject({ model: 'gpt-3.5-turbo', tokens_per_minute: 1000 });
  });

  it('applies a latency PATCH to the next requests on every thread, keeping what it does not name', async () => {
    const res = await config('PATCH', { latency: { open_ai_chat_completions: { mean: 20 } } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as ConfigShape;
    expect(body.latency.open_ai_chat_completions).toEqual({ mean: 20, std_dev: 0, ttft_mean: 0, ttft_std_dev: 0 });
    expect(body.latency.open_ai_embeddings).toEqual({ mean: 0, std_dev: 0 });
    // New connections spread over both threads: every one already has the change.
    const durations = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const t0 = performance.now();
        const r = await fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions`, {
          method: 'POST',
          headers: { 'api-key': sim.apiKey, 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], max_tokens: 10 }),
        });
        await r.text();
        return performance.now() - t0;
      }),
    );
    for (const d of durations) expect(d).toBeGreaterThanOrEqual(200 - 1);
    expect((await config('PATCH', { latency: { open_ai_chat_completions: { mean: 0 } } })).status).toBe(200);
  });

  it('refuses bad PATCH bodies with a 400 naming the problem, and applies nothing', async () => {
    const cases: [unknown, string][] = [
      [{ latency: { open_ai_chat_completions: { mean: -1 } } }, 'latency.open_ai_chat_completions.mean'],
      [{ latency: { open_ai_chat_completions: { mean: 5 }, open_ai_embeddings: { std_dev: 'x' } } }, 'latency.open_ai_embeddings.std_dev'],
      [{ latency: { warp: { mean: 1 } } }, 'latency.warp'],
      [{ colour: 'blue' }, 'colour'],
      [{ simulator_mode: 'replay' }, 'simulator_mode'],
      [{ openai_deployments: [] }, 'openai_deployments'],
      [{ allow_undefined_openai_deployments: 'yes' }, 'allow_undefined_openai_deployments'],
      ['[1, 2]', 'JSON object'],
    ];
    for (const [body, named] of cases) {
      const res = await config('PATCH', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(named);
    }
    const invalid = await config('PATCH', '{"latency": ');
    expect(invalid.status).toBe(400);
    const after = (await (await config('GET')).json()) as ConfigShape;
    expect(after.latency.open_ai_chat_completions.mean).toBe(0); // the 5 of the half-bad PATCH was not applied
  });

  it('adds and changes deployments at run time; windows restart only when limits change', async () => {
    const chat = (): Promise<Response> =>
      fetch(`${sim.url}/openai/deployments/patched/chat/completions`, {
        method: 'POST',
        headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }),
      });
    const added = await config('PATCH', { openai_deployments: { patched: { model: 'gpt-4o', tokens_per_minute: 1000 } } });
    expect(added.status).toBe(200);
    expect(((await added.json()) as ConfigShape).openai_deployments!.patched).toMatchObject({ model: 'gpt-4o', tokens_per_minute: 1000 });
    const first = await chat();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('1000');
    expect((await chat()).status).toBe(429); // 1 request per 10 s

    // New limits: a fresh window (2 requests per 10 s).
    expect((await config('PATCH', { openai_deployments: { patched: { tokens_per_minute: 2000 } } })).status).toBe(200);
    expect((await chat()).status).toBe(200);
    // Latency only: the window keeps its count, so the budget is the same budget.
    expect((await config('PATCH', { latency: { open_ai_embeddings: { mean: 0 } } })).status).toBe(200);
    expect((await chat()).status).toBe(200);
    expect((await chat()).status).toBe(429);

    for (const bad of [{ patched: { model: 'gpt-9' } }, { patched: { tokens_per_minute: -5 } }, { fresh: { tokens_per_minute: 10 } }, { patched: { colour: 1 } }]) {
      const res = await config('PATCH', { openai_deployments: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('openai_deployments.');
    }
  });

  it('switches undefined deployments off and on at run time', async () => {
    expect((await config('PATCH', { allow_undefined_openai_deployments: false })).status).toBe(200);
    await expect(azureClient(sim).chat.completions.create({ model: 'made-up', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
    expect((await config('PATCH', { allow_undefined_openai_deployments: true })).status).toBe(200);
    const ok = await azureClient(sim).chat.completions.create({ model: 'made-up', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
    expect(ok.usage!.completion_tokens).toBe(1);
  });

  // Issue 11: one PATCH used to take the whole process down (1e13), reserve 14 GB (1e11), or
  // answer 500 (prototype keys). Each is now a 400 naming the value, and the process stays up.
  it('refuses hostile PATCHes with a 400 and keeps serving', async () => {
    const hostile: unknown[] = [
      { openai_deployments: { huge: { model: 'gpt-4o', tokens_per_minute: 1e13 } } },
      { openai_deployments: { huge: { model: 'gpt-4o', tokens_per_minute: 1e11 } } },
      { openai_deployments: { e: { model: 'text-embedding-3-small', embedding_size: 4294967296 } } },
      { latency: { open_ai_chat_completions: { mean: 1e308 } } },
      '{"latency":{"__proto__":{"mean":1}}}',
      '{"latency":{"constructor":{"mean":1}}}',
      '{"latency":{"toString":{"mean":1}}}',
      '{"openai_deployments":{"__proto__":{"model":"gpt-4o"}}}',
    ];
    for (const patch of hostile) {
      const res = await config('PATCH', patch);
      expect(res.status, JSON.stringify(patch)).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error.message).toMatch(/must be|not a|reserved/);
    }
    expect(sim.process.exitCode).toBeNull();
    const ok = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 });
    expect(ok.usage!.completion_tokens).toBe(1);
    // The largest TPM allocates a bounded window and answers.
    expect((await config('PATCH', { openai_deployments: { huge: { model: 'gpt-4o', tokens_per_minute: 1_000_000_000 } } })).status).toBe(200);
    const res = await fetch(`${sim.url}/openai/deployments/huge/chat/completions?api-version=2024-10-21`, {
      method: 'POST',
      headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBe('1000000000');
  });
});
