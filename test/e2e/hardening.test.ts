/**
 * Issue 11, against a started simulator (generate mode): bodies of any depth get a 400 in the
 * AOAI envelope — on every API route, inline and in the pool, and on PATCH /++/config — and the
 * process keeps answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureClient } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

let sim: Simulator;
beforeAll(async () => {
  // A small pool threshold: bodies this large go to the pool (the parsed body is what it gets).
  sim = await startSimulator({ SIMULATOR_POOL_MIN_BODY_BYTES: '1024' });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

const deep = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

async function post(path: string, body: string, method = 'POST'): Promise<{ status: number; json: { error?: { message: string; type: string } } }> {
  const res = await fetch(`${sim.url}${path}`, { method, headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as { error?: { message: string; type: string } } };
}

describe('deeply nested JSON', () => {
  it('100,000 levels inside tools[].function.parameters: 400 in the envelope, not "Maximum call stack size exceeded"', async () => {
    const body = `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep(100_000)}}}]}`;
    const { status, json } = await post('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', body);
    expect(status).toBe(400);
    expect(json.error!.type).toBe('invalid_request_error');
    expect(json.error!.message).toMatch(/nested more than 128 levels/);
    expect(json.error!.message).not.toMatch(/call stack/);
  });

  it.each([
    ['/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21', (d: string) => `{"messages":[{"role":"user","content":[${d}]}]}`],
    ['/openai/deployments/embedding/embeddings?api-version=2024-10-21', (d: string) => `{"input":"x","extra":${d}}`],
    ['/openai/deployments/gpt-35-turbo-1k-token/completions?api-version=2024-10-21', (d: string) => `{"prompt":"x","user":${d}}`],
    ['/v1/chat/completions', (d: string) => `{"model":"gpt-4o","messages":[],"x":${d}}`],
  ])('%s: a deep body anywhere is a 400', async (path, wrap) => {
    const { status, json } = await post(path, wrap(deep(20_000)));
    expect(status).toBe(400);
    expect(json.error!.message).toMatch(/nested more than/);
  });

  it('PATCH /++/config with a deep body is a 400', async () => {
    const { status, json } = await post('/++/config', `{"latency":${deep(50_000)}}`, 'PATCH');
    expect(status).toBe(400);
    expect(json.error!.message).toMatch(/nested more than/);
  });

  it('a normal request still succeeds after', async () => {
    const ok = await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });
    expect(ok.choices[0]!.message.content).toBeTruthy();
    expect(sim.process.exitCode).toBeNull();
  });
});
