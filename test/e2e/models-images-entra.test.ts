/**
 * Models and deployments listing, image generation, and Entra ID bearer tokens, against the
 * started simulator with the official `openai` SDK: images are decoded with pngjs (an independent
 * PNG decoder), tokens are signed with jose by a test-owned key.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { AzureOpenAI } from 'openai';
import { generateKeyPair, SignJWT } from 'jose';
import { PNG } from 'pngjs';
import { API_VERSION, azureClient, openaiClient } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const decode = (bytes: Buffer): PNG => PNG.sync.read(bytes);

describe('models listing and images', () => {
  let sim: Simulator;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aoai-img-'));
    const config = join(dir, 'deployments.json');
    writeFileSync(config, JSON.stringify({ 'my-gpt': { model: 'gpt-4o', tokensPerMinute: 100000 }, 'paint-limited': { model: 'dall-e-3', requestsPerMinute: 2 } }));
    sim = await startSimulator({ OPENAI_DEPLOYMENT_CONFIG_PATH: config, SIMULATOR_IMAGE_BLOCKED_WORDS: 'forbiddenword' });
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('models.list on /openai/v1 (OpenAI shape): the deployments, then the catalogue; retrieve by id', async () => {
    const ids: string[] = [];
    for await (const m of openaiClient(sim, '/openai/v1').models.list()) {
      expect(m.object).toBe('model');
      expect(typeof m.created).toBe('number');
      ids.push(m.id);
    }
    expect(ids.slice(0, 2)).toEqual(['my-gpt', 'paint-limited']);
    expect(ids).toContain('gpt-4.1');
    expect(ids).toContain('gpt-image-1');
    const one = await openaiClient(sim, '/v1').models.retrieve('my-gpt');
    expect(one).toMatchObject({ id: 'my-gpt', owned_by: 'organization-owner' });
    await expect(openaiClient(sim).models.retrieve('no-such-model')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('GET /openai/models (Azure catalogue shape) needs api-version; legacy /openai/deployments only on old versions', async () => {
    const list = await azureClient(sim).models.list();
    const gpt4o = list.data.find((m) => m.id === 'gpt-4o') as unknown as Record<string, unknown>;
    expect(gpt4o).toMatchObject({ object: 'model', status: 'succeeded', capabilities: { chat_completion: true, inference: true } });
    expect((await fetch(`${sim.url}/openai/models`, { headers: { 'api-key': sim.apiKey } })).status).toBe(404);
    const legacy = await fetch(`${sim.url}/openai/deployments?api-version=2023-03-15-preview`, { headers: { 'api-key': sim.apiKey } });
    expect(legacy.status).toBe(200);
    const body = await legacy.json();
    expect(body.object).toBe('list');
    expect(body.data.find((d: { id: string }) => d.id === 'my-gpt')).toMatchObject({ model: 'gpt-4o', object: 'deployment', status: 'succeeded' });
    const later = await fetch(`${sim.url}/openai/deployments?api-version=${API_VERSION}`, { headers: { 'api-key': sim.apiKey } });
    expect(later.status).toBe(404);
    expect(await later.json()).toMatchObject({ error: { code: '404', message: 'Resource not found' } });
    expect((await fetch(`${sim.url}/openai/v1/models`)).status).toBe(401);
  });

  it('dall-e-3: url answers point at the simulator (no key needed), b64_json decodes; size as asked; images differ by prompt', async () => {
    const client = azureClient(sim);
    const byUrl = await client.images.generate({ model: 'dall-e-3', prompt: 'a lighthouse at dusk', size: '1792x1024' });
    const item = byUrl.data![0]!;
    expect(item.revised_prompt).toContain('a lighthouse at dusk');
    expect(item.url!.startsWith(sim.url.replace('127.0.0.1', '127.0.0.1'))).toBe(true);
    const fetched = await fetch(item.url!); // no key: as the service's blob links
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('image/png');
    const png = decode(Buffer.from(await fetched.arrayBuffer()));
    expect([png.width, png.height]).toEqual([1792, 1024]);

    const b64 = await client.images.generate({ model: 'dall-e-3', prompt: 'a lighthouse at dusk', size: '1024x1792', response_format: 'b64_json', quality: 'hd', style: 'natural' });
    const a = decode(Buffer.from(b64.data![0]!.b64_json!, 'base64'));
    expect([a.width, a.height]).toEqual([1024, 1792]);
    const other = await client.images.generate({ model: 'dall-e-3', prompt: 'a red fox in snow', size: '1024x1792', response_format: 'b64_json' });
    const b = decode(Buffer.from(other.data![0]!.b64_json!, 'base64'));
    expect(Buffer.compare(a.data, b.data)).not.toBe(0);
    const expired = new URL(item.url!);
    expired.searchParams.set('se', '1000');
    expect((await fetch(expired)).status).toBe(404);
  });

  it('gpt-image-1 on the v1 route: b64 only, n images, usage; response_format is refused', async () => {
    const client = openaiClient(sim, '/openai/v1');
    const r = await client.images.generate({ model: 'gpt-image-1', prompt: 'two cats', n: 2, size: '1536x1024', quality: 'low' });
    expect(r.data).toHaveLength(2);
    for (const d of r.data!) expect([decode(Buffer.from(d.b64_json!, 'base64')).width]).toEqual([1536]);
    expect(r.usage).toMatchObject({ output_tokens: 2 * 408, input_tokens_details: { image_tokens: 0 } });
    expect(r.usage!.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
    const err = await client.images.generate({ model: 'gpt-image-1', prompt: 'x', response_format: 'url' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain("Unknown parameter: 'response_format'");
  });

  it("bad image requests get 400s; a blocked prompt gets the content-policy body; the deployment's requests-per-minute limit holds", async () => {
    const post = (deployment: string, body: object) =>
      fetch(`${sim.url}/openai/deployments/${deployment}/images/generations?api-version=${API_VERSION}`, { method: 'POST', headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await (await post('dall-e-3', { prompt: 'x', n: 2 })).json()).error.param).toBe('n');
    expect((await (await post('dall-e-3', { prompt: 'x', size: '512x512' })).json()).error.param).toBe('size');
    expect((await (await post('dall-e-3', { prompt: 'x'.repeat(4001) })).json()).error.code).toBe('string_above_max_length');
    expect((await post('dall-e-3', {})).status).toBe(400);
    const blocked = await post('dall-e-3', { prompt: 'a FORBIDDENWORD scene' });
    expect(blocked.status).toBe(400);
    expect(await blocked.json()).toMatchObject({ error: { code: 'content_policy_violation', inner_error: { code: 'ResponsibleAIPolicyViolation' } } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post('paint-limited', { prompt: 'limited' })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });
});

describe('Entra ID bearer tokens', () => {
  let sim: Simulator;
  let sign: (claims: Record<string, unknown>) => Promise<string>;
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('RS256');
    sign = (claims) => new SignJWT({ tid: TENANT, oid: 'oid-1', appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', idtyp: 'app', ...claims }).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'test' }).sign(privateKey);
    sim = await startSimulator({ SIMULATOR_ENTRA_AUTH: 'true', SIMULATOR_ENTRA_TENANTS: TENANT });
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });
  const now = () => Math.floor(Date.now() / 1000);

  it('AzureOpenAI with azureADTokenProvider: a test-signed token with the right audience is accepted; keys keep working', async () => {
    const token = await sign({ aud: 'https://cognitiveservices.azure.com', iss: `https://sts.windows.net/${TENANT}/`, iat: now(), nbf: now() - 10, exp: now() + 3600 });
    let asked = 0;
    const client = new AzureOpenAI({ endpoint: sim.url, apiVersion: API_VERSION, maxRetries: 0, azureADTokenProvider: async () => (asked++, token) });
    const r = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0]!.message.role).toBe('assistant');
    expect(asked).toBeGreaterThan(0);
    const ai = await sign({ aud: 'https://ai.azure.com', exp: now() + 60 });
    expect((await openaiClient(sim, '/openai/v1', ai).models.list()).data.length).toBeGreaterThan(0);
    expect((await azureClient(sim).chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).object).toBe('chat.completion');
  });

  it("expired, not yet valid and wrong-audience tokens get the service's 401 body (no error wrapper); another tenant gets PermissionDenied", async () => {
    const ask = async (token: string) => {
      const res = await fetch(`${sim.url}/openai/deployments/gpt-4o/chat/completions?api-version=${API_VERSION}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
      });
      return { status: res.status, body: await res.json() };
    };
    const unauthorized = { statusCode: 401, message: 'Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.' };
    expect(await ask(await sign({ aud: 'https://cognitiveservices.azure.com', exp: now() - 3600 }))).toEqual({ status: 401, body: unauthorized });
    expect(await ask(await sign({ aud: 'https://cognitiveservices.azure.com', nbf: now() + 3600, exp: now() + 7200 }))).toEqual({ status: 401, body: unauthorized });
    expect(await ask(await sign({ aud: 'https://management.azure.com', exp: now() + 3600 }))).toEqual({ status: 401, body: unauthorized });
    expect(await ask(await sign({ aud: 'https://cognitiveservices.azure.com', exp: now() + 3600, tid: 'another-tenant' }))).toEqual({
      status: 401,
      body: { error: { code: 'PermissionDenied', message: 'Principal does not have access to API/Operation.', type: null, param: null } },
    });
    const wrongKey = await ask('not-a-jwt-and-not-the-key');
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body.error.code).toBe('401');
  });
});

describe('Entra ID off (the default)', () => {
  it('a well-formed token is not a key: 401', async () => {
    const sim = await startSimulator();
    try {
      const { privateKey } = await generateKeyPair('RS256');
      const token = await new SignJWT({ aud: 'https://cognitiveservices.azure.com', exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
      const client = new AzureOpenAI({ endpoint: sim.url, apiVersion: API_VERSION, maxRetries: 0, azureADTokenProvider: async () => token });
      await expect(client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });
});

describe('with an extension that routes (request hooks)', () => {
  it('the listings and image links still answer (not the health body)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aoai-ext13-'));
    const extension = join(dir, 'hook.js');
    writeFileSync(extension, `export function initialize(api) { api.requestHooks.add((request) => { request.values.set('seen', true); }); }\n`);
    const sim = await startSimulator({ EXTENSION_PATH: extension });
    try {
      const ids = (await openaiClient(sim, '/openai/v1').models.list()).data.map((m) => m.id);
      expect(ids).toContain('gpt-4o');
      const image = await azureClient(sim).images.generate({ model: 'dall-e-3', prompt: 'through an extension' });
      const res = await fetch(image.data![0]!.url!);
      expect(res.status).toBe(200);
      expect(decode(Buffer.from(await res.arrayBuffer())).width).toBe(1024);
    } finally {
      expect(await sim.stop()).toBe(0);
    }
  });
});
