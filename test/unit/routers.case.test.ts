/**
 * One case file, two routers: uWS' native route table (as thread.ts registers the route table,
 * with `/*` falling through to the JS router) and core/wire/router.ts alone must agree on every
 * case. The native one runs for real, on a loopback port, through the front end's HttpServer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from '../../src/core/wire/router.js';
import { apiRoutes, getRoutes, healthRoute, routes, storedResponseRoutes, type Route } from '../../src/core/wire/routes.js';
import { HttpServer } from '../../src/front-end/http/server.js';
import { sendJson } from '../../src/front-end/http/respond.js';
import { paramsOf } from '../../src/front-end/pipeline/spine.js';
import { testThread } from '../helpers/front-end.js';

type Outcome = { readonly pattern: string; readonly params: Readonly<Record<string, string>> } | 'none' | 'wrong-method';

/** [method, path, what both routers must say, whether uWS' native table matches it itself (the fast path)]. */
const CASES: readonly (readonly [string, string, Outcome, boolean])[] = [
  ['POST', '/openai/deployments/gpt-4o/chat/completions', { pattern: '/openai/deployments/:deployment/chat/completions', params: { deployment: 'gpt-4o' } }, true],
  ['POST', '/openai/deployments/my%20dep/embeddings', { pattern: '/openai/deployments/:deployment/embeddings', params: { deployment: 'my dep' } }, true],
  ['POST', '/openai/deployments/w/audio/transcriptions', { pattern: '/openai/deployments/:deployment/audio/transcriptions', params: { deployment: 'w' } }, true],
  ['POST', '/openai/deployments/x/completions', { pattern: '/openai/deployments/:deployment/completions', params: { deployment: 'x' } }, true],
  ['POST', '/openai/v1/chat/completions', { pattern: '/openai/v1/chat/completions', params: {} }, true],
  ['POST', '/v1/embeddings', { pattern: '/v1/embeddings', params: {} }, true],
  ['POST', '/v1/audio/translations', { pattern: '/v1/audio/translations', params: {} }, true],
  ['GET', '/', { pattern: '/', params: {} }, true],
  // Runs of slashes: only the JS router collapses them (uWS falls through to it).
  ['POST', '//openai//deployments/gpt-4o/chat/completions', { pattern: '/openai/deployments/:deployment/chat/completions', params: { deployment: 'gpt-4o' } }, false],
  ['POST', '/v1//chat/completions', { pattern: '/v1/chat/completions', params: {} }, false],
  ['GET', '/openai/deployments/gpt-4o/chat/completions', 'wrong-method', false],
  ['POST', '/', 'wrong-method', false],
  ['POST', '/openai/deployments/dall-e-3/images/generations', { pattern: '/openai/deployments/:deployment/images/generations', params: { deployment: 'dall-e-3' } }, true],
  ['POST', '/openai/deployments/gpt-4o/images/edits', 'none', false],
  // The GET rows: listings and image files, their parameters by name.
  ['GET', '/openai/models', { pattern: '/openai/models', params: {} }, true],
  ['GET', '/openai/v1/models/gpt-4o%2Dmini', { pattern: '/openai/v1/models/:id', params: { id: 'gpt-4o-mini' } }, true],
  ['GET', '/images/generated/1024x1024/ab12.png', { pattern: '/images/generated/:size/:file', params: { size: '1024x1024', file: 'ab12.png' } }, true],
  ['POST', '/openai/models', 'wrong-method', false],
  // A deployment named "chat": both read it as the completions route.
  ['POST', '/openai/deployments/chat/completions', { pattern: '/openai/deployments/:deployment/completions', params: { deployment: 'chat' } }, true],
  ['POST', '/openai/deployments/x/chat/completions/extra', 'none', false],
  ['POST', '/nothing', 'none', false],
  // The Responses API: create, and the stored-response routes by method.
  ['POST', '/openai/v1/responses', { pattern: '/openai/v1/responses', params: {} }, true],
  ['POST', '/openai/responses', { pattern: '/openai/responses', params: {} }, true],
  ['GET', '/openai/v1/responses/resp_1', { pattern: '/openai/v1/responses/:id', params: { id: 'resp_1' } }, true],
  ['DELETE', '/v1/responses/resp_1', { pattern: '/v1/responses/:id', params: { id: 'resp_1' } }, true],
  ['GET', '/openai/responses/resp_1/input_items', { pattern: '/openai/responses/:id/input_items', params: { id: 'resp_1' } }, true],
  ['POST', '/openai/v1/responses/resp_1/cancel', { pattern: '/openai/v1/responses/:id/cancel', params: { id: 'resp_1' } }, true],
  ['PATCH', '/openai/v1/responses/resp_1', 'wrong-method', false],
];

const outcomeOf = (result: ReturnType<Router<Route>['match']>): Outcome =>
  result.kind === 'match' ? { pattern: result.match.route.pattern, params: { ...result.match.params } } : result.kind;

describe('the JS router', () => {
  const router = new Router(routes);
  it.each(CASES)('%s %s', (method, path, expected) => {
    expect(outcomeOf(router.match(method, path))).toEqual(expected);
  });
});

describe("uWS' native route table (falling through to the JS router, as the thread registers it)", () => {
  let server: HttpServer;
  let port: number;
  beforeAll(async () => {
    const { ctx } = testThread();
    server = new HttpServer(ctx);
    const answer = (native: boolean, outcome: Outcome) => (ex: Parameters<Parameters<HttpServer['on']>[2]>[0]) => sendJson(ex, 200, JSON.stringify({ native, outcome }));
    server.on('get', healthRoute.pattern, (ex, req) => answer(true, { pattern: healthRoute.pattern, params: { ...paramsOf(healthRoute, req) } })(ex));
    for (const route of getRoutes) server.on('get', route.pattern, (ex, req) => answer(true, { pattern: route.pattern, params: { ...paramsOf(route, req) } })(ex));
    for (const route of apiRoutes) server.on('post', route.pattern, (ex, req) => answer(true, { pattern: route.pattern, params: { ...paramsOf(route, req) } })(ex));
    const METHOD = { GET: 'get', POST: 'post', DELETE: 'del' } as const;
    for (const route of storedResponseRoutes) server.on(METHOD[route.method], route.pattern, (ex, req) => answer(true, { pattern: route.pattern, params: { ...paramsOf(route, req) } })(ex));
    server.on('any', '/*', (ex) => answer(false, outcomeOf(ctx.router.match(ex.method, ex.path)))(ex));
    port = await new Promise<number>((resolve, reject) => server.listen('127.0.0.1', 0, (p) => (p === undefined ? reject(new Error('no port')) : resolve(p))));
  });
  afterAll(() => server.close());

  it.each(CASES)('%s %s', async (method, path, expected, native) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, body: method === 'POST' ? '{}' : undefined });
    expect(await res.json()).toEqual({ native, outcome: expected });
  });
});
