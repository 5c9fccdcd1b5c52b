/**
 * The extension's stages in-process: a real extension module (imported from a data: URL, as
 * EXTENSION_PATH's are imported from files) loaded into a test thread, requests through the real
 * pipeline on the fake uWS.
 */
import { describe, expect, it } from 'vitest';
import type { ExtensionApi } from '../../src/extension-api.js';
import { loadExtension, type ExtensionRuntime } from '../../src/front-end/extensions/runtime.js';
import { handleExtended, handleWatched } from '../../src/front-end/extensions/stages.js';
import { getRoutes } from '../../src/core/wire/routes.js';
import { fakeExchange } from '../helpers/fake-uws.js';
import { NO_LATENCY, TEST_KEY, testThread } from '../helpers/front-end.js';

/** Loads `initialize`'s source as an extension module; the module keeps its api on globalThis.__api. */
async function withExtension(initialize: string, env: Record<string, string> = NO_LATENCY) {
  const thread = testThread({ env });
  const source = `export function initialize(api) { globalThis.__api = api; ${initialize} }`;
  const ext: ExtensionRuntime = await loadExtension(`data:text/javascript,${encodeURIComponent(source)}`, 'test-extension', thread.ctx);
  thread.ctx.stages = ext.stages();
  const api = (globalThis as { __api?: ExtensionApi }).__api!;
  const request = (init: Parameters<typeof fakeExchange>[0], body = '') => {
    const { ex, res, req } = fakeExchange(init, thread.ctx);
    handleExtended(thread.ctx, ext, ex, req);
    res.send(body);
    return res;
  };
  return { ...thread, ext, api, request };
}

const chat = (headers: Record<string, string>) => {
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
  return [{ method: 'post', url: '/openai/deployments/gpt-35-turbo-10k-token/chat/completions', query: 'api-version=2024-10-21', headers: { 'api-key': TEST_KEY, 'content-length': String(body.length), ...headers } }, body] as const;
};

describe('request hooks', () => {
  it('a header a hook rewrites is what every later step reads (the built-in parse sees the new content-type)', async () => {
    const { request } = await withExtension(`api.requestHooks.add((r) => { r.headers['content-type'] = 'application/json'; });`);
    const res = request(...chat({ 'content-type': 'application/xml' }));
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('"usage"');
  });

  it('and the other way: a hook that makes the type unsupported gets the built-in refusal', async () => {
    const { request } = await withExtension(`api.requestHooks.add((r) => { r.headers['content-type'] = 'text/html'; });`);
    const res = request(...chat({ 'content-type': 'application/json' }));
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { code: string } }).error.code).toBe('unsupported_content_type');
  });
});

describe('registration', () => {
  it('is frozen once initialize has returned: api.*.add throws, and nothing is added', async () => {
    const { api, ext } = await withExtension('');
    expect(() => api.requestHooks.add(() => undefined)).toThrow(/registration is closed/);
    expect(() => api.generators.add(() => undefined)).toThrow(/registration is closed/);
    expect(() => api.limiters.define('x', (_r, response) => response)).toThrow(/registration is closed/);
    expect(ext.requestHooks).toHaveLength(0);
    expect(ext.generators.names()).not.toContain('extension#1');
  });

  it('fills the latency slot only when a latency hook was registered', async () => {
    expect((await withExtension('')).ctx.stages.latency).toBeNull();
    expect((await withExtension('api.latency.add(() => 5);')).ctx.stages.latency).not.toBeNull();
  });
});

describe('the guards around extension calls', () => {
  it('a generator that throws is a 500 naming the extension; the thread logs the cause', async () => {
    const { request, logged } = await withExtension(`api.generators.add(() => { throw new Error('boom'); });`);
    const res = request(...chat({ 'content-type': 'application/json' }));
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('test-extension');
    expect(logged.join('\n')).toContain('boom');
  });

  it('a rejected promise from a request hook is a 500 too', async () => {
    const { request } = await withExtension(`api.requestHooks.add(async () => { throw new Error('later'); });`);
    const res = request(...chat({ 'content-type': 'application/json' }));
    await expect.poll(() => res.ended).toBe(true);
    expect(res.statusCode).toBe(500);
  });

  it('response hook headers follow the one rule: lower-case names, string values', async () => {
    const { request } = await withExtension(`api.responseHooks.add((r, response) => ({ ...response, headers: { ...response.headers, 'X-Count': 7 } }));`);
    // The fake uWS refuses a number as a header value, as uWS only takes strings and bytes.
    const res = request(...chat({ 'content-type': 'application/json' }));
    expect(res.statusCode).toBe(200);
    expect(res.headers).toContainEqual(['x-count', '7']);
  });

  it('a watching extension (thread.ts registers the GET rows with handleWatched) sees the listings through its response hooks', async () => {
    const { ctx, ext } = await withExtension(`api.responseHooks.add((r, response) => ({ ...response, headers: { ...response.headers, 'x-seen': r.path } }));`);
    expect(ext.routesAsBuiltIn).toBe(true);
    const { ex, res, req } = fakeExchange({ method: 'get', url: '/openai/models/gpt-4o', query: 'api-version=2024-10-21', params: ['gpt-4o'], headers: { 'api-key': TEST_KEY } }, ctx);
    handleWatched(ctx, ext, ex, req, getRoutes.find((r) => r.pattern === '/openai/models/:id')!);
    expect(res.statusCode).toBe(200);
    expect((res.json() as { id: string }).id).toBe('gpt-4o');
    expect(res.header('x-seen')).toBe('/openai/models/gpt-4o');
  });

  it('a latency hook returning garbage is the extension failure, not a crash', async () => {
    const { request } = await withExtension(`api.latency.add(() => 'soon');`);
    const res = request(...chat({ 'content-type': 'application/json' }));
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('latency hook');
  });

  it('an extension answer waits for its latency on the scheduler and is charged by the openai limiter', async () => {
    const { request, clock } = await withExtension(`api.generators.add((r) => ({ ...api.json(200, { ok: true }), latencyMs: 50, limiter: 'openai' }));`);
    const res = request(...chat({ 'content-type': 'application/json' }));
    expect(res.status).toBeUndefined();
    clock.advance(50);
    expect(res.statusCode).toBe(200);
    expect(res.header('x-ratelimit-limit-tokens')).toBe('10000');
    expect(res.header('x-ratelimit-remaining-tokens')).toBe(String(10_000 - 3));
  });
});
