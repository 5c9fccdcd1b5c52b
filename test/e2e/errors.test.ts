/**
 * Every error the foundation answers, as the official SDK surfaces it (typed error, status, code,
 * param), plus the raw wire for the cases an SDK cannot produce (bad JSON, wrong content type).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureClient } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const MAX_BODY = 64 * 1024;
let sim: Simulator;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-config-'));
  const config = join(dir, 'deployments.json');
  writeFileSync(
    config,
    JSON.stringify({
      chat: { model: 'gpt-4', tokensPerMinute: '100000' },
      reasoner: { model: 'o3-mini', tokensPerMinute: 100000 },
      embed: { model: 'text-embedding-ada-002', tokensPerMinute: 100000, embeddingSize: 1536 },
    }),
  );
  sim = await startSimulator({
    OPENAI_DEPLOYMENT_CONFIG_PATH: config,
    ALLOW_UNDEFINED_OPENAI_DEPLOYMENTS: 'false',
    SIMULATOR_MAX_BODY_BYTES: String(MAX_BODY),
  });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

const messages = [{ role: 'user' as const, content: 'hello' }];

async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (err) {
    expect(err).toBeInstanceOf(OpenAI.APIError);
    return err as InstanceType<typeof OpenAI.APIError>;
  }
  throw new Error('expected the call to fail');
}

async function raw(path: string, init: RequestInit): Promise<{ status: number; body: { error: { code: unknown; message: string; param: unknown } } }> {
  const res = await fetch(`${sim.url}${path}`, init);
  const text = await res.text();
  expect(res.headers.get('content-type')).toBe('application/json');
  return { status: res.status, body: JSON.parse(text) };
}

describe('errors through the SDK', () => {
  it('401 for a wrong key, in the AOAI envelope', async () => {
    const err = await apiError(azureClient(sim, 'wrong').chat.completions.create({ model: 'chat', messages }));
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.status).toBe(401);
    expect(err.message).toContain('Access denied due to invalid subscription key');
  });

  it('401 without any key', async () => {
    const res = await raw('/openai/deployments/chat/chat/completions', { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('401');
  });

  it('404 DeploymentNotFound for an unknown deployment when undefined ones are not allowed', async () => {
    const err = await apiError(azureClient(sim).chat.completions.create({ model: 'nope', messages }));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('DeploymentNotFound');
  });

  it('400 OperationNotSupported for chat on an embedding deployment, and embeddings on a chat one', async () => {
    const chat = await apiError(azureClient(sim).chat.completions.create({ model: 'embed', messages }));
    expect(chat).toBeInstanceOf(OpenAI.BadRequestError);
    expect(chat.code).toBe('OperationNotSupported');
    expect(chat.message).toContain('The chatCompletion operation does not work with the specified model, embed.');
    const emb = await apiError(azureClient(sim).embeddings.create({ model: 'chat', input: 'x' }));
    expect(emb.code).toBe('OperationNotSupported');
    expect(emb.message).toContain('The embeddings operation does not work');
  });

  it('400 context_length_exceeded, with and without the completion counted', async () => {
    const long = 'lorem ipsum '.repeat(5000); // ≈10k tokens > gpt-4's 8192
    const err = await apiError(azureClient(sim).chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: long }] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('context_length_exceeded');
    expect(err.param).toBe('messages');
    expect(err.message).toMatch(/maximum context length is 8192 tokens\. However, your messages resulted in \d+ tokens/);
    const withCompletion = await apiError(
      azureClient(sim).chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x '.repeat(4000) }], max_tokens: 8000 }),
    );
    expect(withCompletion.message).toMatch(/However, you requested \d+ tokens \(\d+ in the messages, 8000 in the completion\)/);
  });

  it('400 naming a missing or mistyped field', async () => {
    const missing = await apiError(azureClient(sim).chat.completions.create({ model: 'chat' } as never));
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError);
    expect(missing.param).toBe('messages');
    expect(missing.message).toContain("Missing required parameter: 'messages'.");
    const mistyped = await apiError(azureClient(sim).chat.completions.create({ model: 'chat', messages, max_tokens: 'ten' as never }));
    expect(mistyped.param).toBe('max_tokens');
    expect(mistyped.code).toBe('invalid_type');
    const badRole = await apiError(azureClient(sim).chat.completions.create({ model: 'chat', messages: [{ role: 'wizard', content: 'x' }] as never }));
    expect(badRole.param).toBe('messages[0].role');
  });

  it('400 for max_tokens on a reasoning model, and for max_tokens above the model output limit', async () => {
    const reasoning = await apiError(azureClient(sim).chat.completions.create({ model: 'reasoner', messages, max_tokens: 10 }));
    expect(reasoning.code).toBe('unsupported_parameter');
    expect(reasoning.message).toContain("Use 'max_completion_tokens' instead.");
    const ok = await azureClient(sim).chat.completions.create({ model: 'reasoner', messages, max_completion_tokens: 10 });
    expect(ok.usage!.completion_tokens).toBe(10);
    const tooMany = await apiError(azureClient(sim).chat.completions.create({ model: 'chat', messages, max_tokens: 9000 }));
    expect(tooMany.message).toContain('max_tokens is too large: 9000. This model supports at most 8192 completion tokens');
  });

  it('413 for a body over the configured limit', async () => {
    const err = await apiError(azureClient(sim).chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(MAX_BODY + 1) }] }));
    expect(err.status).toBe(413);
    expect(err.message).toContain(`${MAX_BODY} bytes`);
  });

  it('400 for dimensions on a model that does not support them', async () => {
    const err = await apiError(azureClient(sim).embeddings.create({ model: 'embed', input: 'x', dimensions: 10 }));
    expect(err.param).toBe('dimensions');
  });
});

describe('errors on the wire', () => {
  const headers = (): Record<string, string> => ({ 'api-key': sim.apiKey, 'content-type': 'application/json' });

  it('400 for a body that is not JSON', async () => {
    const res = await raw('/openai/deployments/chat/chat/completions', { method: 'POST', headers: headers(), body: '{"messages": [' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('We could not parse the JSON body of your request.');
  });

  it('400 for JSON that is not an object', async () => {
    const res = await raw('/openai/deployments/chat/chat/completions', { method: 'POST', headers: headers(), body: '[1,2]' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('must be a JSON object');
  });

  it('400 for a content type that is not JSON', async () => {
    const res = await raw('/openai/deployments/chat/chat/completions', {
      method: 'POST',
      headers: { ...headers(), 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x--',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('unsupported_content_type');
  });

  it('400 for a missing model on the /v1 routes', async () => {
    const res = await raw('/v1/chat/completions', { method: 'POST', headers: headers(), body: JSON.stringify({ messages }) });
    expect(res.status).toBe(400);
    expect(res.body.error.param).toBe('model');
  });

  it('404 JSON for an unknown route, 405 for a wrong method', async () => {
    const unknown = await raw('/openai/deployments/chat/unknown', { method: 'POST', headers: headers(), body: '{}' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: '404', message: 'Resource not found' });
    const res = await fetch(`${sim.url}/openai/deployments/chat/chat/completions`, { headers: headers() });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('GET / answers the health message without a key', async () => {
    const res = await fetch(`${sim.url}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: '👋 aoai-simulated-api is running' });
  });
});
