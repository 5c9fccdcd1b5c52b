/**
 * The spine in-process: requests through the real pipeline on a fake uWS response, the real
 * scheduler on a manual clock, real deployments and rate windows, a real PoolClient over a
 * MessageChannel whose other end the test answers with the real generator.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { defaultDeployments, makeDeployment } from '../../src/core/config/deployments.js';
import { generate } from '../../src/core/generation/index.js';
import { findModel } from '../../src/core/models.js';
import { apiRoutes, getRoutes, type Route } from '../../src/core/wire/routes.js';
import type { Answer } from '../../src/core/generation/answer.js';
import { write } from '../../src/front-end/pipeline/pace.js';
import { handleRoute, handleUnmatched } from '../../src/front-end/pipeline/spine.js';
import { PoolClient } from '../../src/front-end/pool-client.js';
import type { PoolReply, PoolRequest } from '../../src/protocol/pool.js';
import { fakeExchange } from '../helpers/fake-uws.js';
import { NO_LATENCY, snapshotOf, TEST_KEY, testThread } from '../helpers/front-end.js';

const chatRoute = apiRoutes.find((r) => r.kind === 'api' && r.operation === 'chat' && r.deploymentFrom === 'path') as Route;

function chatRequest(deployment: string, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  return {
    init: {
      method: 'post',
      url: `/openai/deployments/${deployment}/chat/completions`,
      query: 'api-version=2024-10-21',
      params: [deployment],
      headers: { 'api-key': TEST_KEY, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers },
    },
    text,
  };
}

describe('the spine (generate mode, no extension)', () => {
  it('answers a chat request with one cork, the ids and the x-ratelimit headers', () => {
    const { ctx } = testThread({ env: NO_LATENCY });
    const { init, text } = chatRequest('gpt-35-turbo-10k-token', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
    const { ex, res, req } = fakeExchange(init, ctx);
    handleRoute(ctx, ex, req, chatRoute);
    expect(res.status).toBeUndefined(); // waits for the body
    res.send(text, 2);
    expect(res.statusCode).toBe(200);
    expect(res.corks).toBe(1);
    expect(res.ended).toBe(true);
    expect(res.header('x-request-id')).toBe(ex.requestId);
    expect(res.header('x-ratelimit-limit-tokens')).toBe('10000');
    expect(res.header('x-ratelimit-remaining-tokens')).toBe(String(10_000 - 5));
    expect((res.json() as { usage: { completion_tokens: number } }).usage.completion_tokens).toBeLessThanOrEqual(5);
  });

  it('answers a body over the limit once, with 413, and closes the connection', () => {
    const { ctx } = testThread({ env: { ...NO_LATENCY, SIMULATOR_MAX_BODY_BYTES: '10' } });
    const { init, text } = chatRequest('gpt-35-turbo-10k-token', { messages: [] });
    const { ex, res, req } = fakeExchange({ ...init, headers: { ...init.headers, 'content-length': '' } }, ctx);
    handleRoute(ctx, ex, req, chatRoute);
    res.send(text, 3); // the chunks after the refusal must not touch the ended response
    expect(res.statusCode).toBe(413);
    expect(res.closeConnection).toBe(true);
  });

  it('routes what uWS did not match with the JS router: 404, 405, and collapsed slashes', () => {
    const { ctx } = testThread({ env: NO_LATENCY });
    const missing = fakeExchange({ method: 'post', url: '/nope', headers: { 'api-key': TEST_KEY } }, ctx);
    handleUnmatched(ctx, missing.ex);
    expect(missing.res.statusCode).toBe(404);
    const wrong = fakeExchange({ method: 'get', url: '/openai/deployments/x/chat/completions', headers: { 'api-key': TEST_KEY } }, ctx);
    handleUnmatched(ctx, wrong.ex);
    expect(wrong.res.statusCode).toBe(405);
    const { init, text } = chatRequest('gpt-35-turbo-10k-token', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
    const slashes = fakeExchange({ ...init, url: '//openai//deployments/gpt-35-turbo-10k-token/chat/completions' }, ctx);
    handleUnmatched(ctx, slashes.ex);
    slashes.res.send(text);
    expect(slashes.res.body).toContain('"usage"');
    expect(slashes.res.statusCode).toBe(200);
  });

  it('writes nothing to a response whose client went away while its answer waited', () => {
    const { ctx, clock } = testThread({ env: { LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '50', LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0' } });
    const { init, text } = chatRequest('gpt-35-turbo-10k-token', { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    const { ex, res, req } = fakeExchange(init, ctx);
    handleRoute(ctx, ex, req, chatRoute);
    res.send(text);
    expect(res.status).toBeUndefined();
    res.abort();
    clock.advance(10_000); // the fake throws if the scheduled write touches the aborted response
    expect(res.status).toBeUndefined();
    expect(ctx.scheduler.size).toBe(0);
  });
});

describe('the GET rows (listings, image files)', () => {
  const route = (pattern: string) => getRoutes.find((r) => r.pattern === pattern)!;

  it('lists the deployments of the request\'s snapshot, behind the key', () => {
    const { ctx } = testThread({ env: NO_LATENCY });
    const list = (headers: Record<string, string>) => {
      const { ex, res, req } = fakeExchange({ method: 'get', url: '/openai/v1/models', headers }, ctx);
      handleRoute(ctx, ex, req, route('/openai/v1/models'));
      return res;
    };
    const ok = list({ 'api-key': TEST_KEY });
    expect(ok.statusCode).toBe(200);
    expect((ok.json() as { data: { id: string }[] }).data.map((m) => m.id)).toContain('gpt-35-turbo-10k-token');
    expect(list({ 'api-key': 'wrong' }).statusCode).toBe(401);
  });

  it('serves an image link by its named parameters, without a key; a bad one is the blob 404', () => {
    const { ctx } = testThread({ env: NO_LATENCY });
    const get = (params: string[], query: string) => {
      const { ex, res, req } = fakeExchange({ method: 'get', url: `/images/generated/${params.join('/')}`, query, params }, ctx);
      handleRoute(ctx, ex, req, route('/images/generated/:size/:file'));
      return res;
    };
    const se = Math.floor(Date.now() / 1000) + 60;
    const png = get(['256x256', 'ab12.png'], `se=${se}`);
    expect(png.statusCode).toBe(200);
    expect(png.header('content-type')).toBe('image/png');
    expect(get(['256x256', 'ab12.png'], `se=${se - 120}`).statusCode).toBe(404); // expired
    expect(get(['256x256', 'nope.gif'], `se=${se}`).statusCode).toBe(404);
  });
});

describe('one configuration snapshot per request', () => {
  it('answers tools under the agent policy of the snapshot the request arrived with', () => {
    const { ctx } = testThread({ env: NO_LATENCY });
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];
    const ask = () => chatRequest('gpt-35-turbo-10k-token', { messages: [{ role: 'user', content: 'weather?' }], tools, tool_choice: 'auto', max_tokens: 20 });
    const choice = (res: { json(): unknown }) => (res.json() as { choices: { finish_reason: string; message: { content: string | null; tool_calls?: unknown[] } }[] }).choices[0]!;

    const first = ask();
    const early = fakeExchange(first.init, ctx);
    handleRoute(ctx, early.ex, early.req, chatRoute);
    // A PATCH of `agent` lands while the first request's body is still arriving.
    ctx.config = snapshotOf(defaultDeployments(), { ...ctx.config.runtime, agent: { ...ctx.config.generateOptions.agent!, toolChoiceAuto: 'answer' } });
    const second = ask();
    const late = fakeExchange(second.init, ctx);
    handleRoute(ctx, late.ex, late.req, chatRoute);
    early.res.send(first.text);
    late.res.send(second.text);
    expect(choice(early.res).finish_reason).toBe('tool_calls'); // the settings' default: auto calls a tool
    expect(choice(early.res).message.tool_calls).toHaveLength(1);
    expect(choice(late.res).message.tool_calls).toBeUndefined(); // 'answer': text
    expect(choice(late.res).message.content).toMatch(/\w/);
  });

  it('charges the window the request was checked against, even when a PATCH lands in between', async () => {
    // A long stream goes to the pool: the test answers the pool's request, swapping the thread's
    // configuration (new limits for the deployment) between the precheck and the charge.
    const channel = new MessageChannel();
    const pool = new PoolClient(channel.port1);
    const name = 'gpt-35-turbo-10k-token';
    const { ctx } = testThread({ env: NO_LATENCY, pool });
    const before = ctx.config;
    const patched = new Map(defaultDeployments());
    patched.set(name, makeDeployment(name, findModel('gpt-3.5-turbo')!, { tokensPerMinute: 50_000 }));
    const after = snapshotOf(patched, before.runtime);
    channel.port2.on('message', ({ id, task }: PoolRequest) => {
      ctx.config = after; // what a `config` message does
      const answer: Answer = generate(task.operation, task.body, task.deployment, task.options);
      channel.port2.postMessage({ id, answer } satisfies PoolReply);
    });

    const cost = 2_000; // max_tokens × n ≥ 1,024: the stream is made on the pool
    const { init, text } = chatRequest(name, { messages: [{ role: 'user', content: 'hi' }], max_tokens: cost, stream: true });
    const { ex, res, req } = fakeExchange(init, ctx);
    handleRoute(ctx, ex, req, chatRoute);
    res.send(text);
    await expect.poll(() => res.ended, { timeout: 10_000 }).toBe(true);
    channel.port2.close();
    pool.close();

    expect(res.statusCode).toBe(200);
    expect(res.header('x-ratelimit-limit-tokens')).toBe('10000'); // the old window's budget
    expect(res.header('x-ratelimit-remaining-tokens')).toBe(String(10_000 - cost));
    // What is left after one more token: the old window was charged, the new one never was.
    const oldWindow = before.limiters.get(name)!.check(1);
    const newWindow = after.limiters.get(name)!.check(1);
    expect(oldWindow.allowed && oldWindow.remainingTokens).toBe(10_000 - cost - 1);
    expect(newWindow.allowed && newWindow.remainingTokens).toBe(50_000 - 1);
  });
});

describe('guards at the scheduler', () => {
  const throwingBody = (): Answer =>
    ({
      kind: 'json',
      get body(): string {
        throw new Error('the template broke');
      },
    }) as unknown as Answer;

  it('gives a delayed answer whose write throws a 500, not silence', () => {
    const { ctx, clock, logged } = testThread({ env: { LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: '100', LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0' } });
    const delayed = fakeExchange({ url: '/x', headers: {} }, ctx);
    ctx.stages = { latency: () => ({ totalMs: 100, firstTokenMs: 100, perTokenMs: 0 }) };
    write(ctx, delayed.ex, throwingBody(), undefined, undefined);
    expect(delayed.res.status).toBeUndefined();
    clock.advance(100);
    expect(delayed.res.statusCode).toBe(500);
    expect((delayed.res.json() as { error: { code: string } }).error.code).toBe('InternalServerError');
    expect(logged.join('\n')).toContain('the template broke');
  });

  it('closes a paced stream whose next write throws (its head was already sent)', () => {
    const { ctx, clock } = testThread();
    ctx.stages = { latency: () => ({ totalMs: 30, firstTokenMs: 10, perTokenMs: 10 }) };
    // A stream's tokens are a plan rendered as they are written (core/generation/token-events.ts):
    // its second token is made to throw when the cursor reaches it.
    const parts: (number | string)[] = [' a', ' b', ' c']; // the first token loses its leading space
    Object.defineProperty(parts, 1, { get: () => { throw new Error('token 1 broke'); } });
    const tokens = { encoding: 'cl100k_base', count: 3, before: ['data: '], after: ['\n'], frame: '\n', parts: [parts] };
    const answer = { kind: 'stream', head: ['data: head\n\n'], tokens, tail: ['data: [DONE]\n\n'], choices: 1 } as unknown as Answer;
    const { ex, res } = fakeExchange({ url: '/x', headers: {} }, ctx);
    write(ctx, ex, answer, undefined, undefined);
    expect(res.statusCode).toBe(200);
    clock.advance(10);
    expect(res.body).toContain('data: "a"');
    expect(res.closed).toBe(false);
    clock.advance(10);
    expect(res.closed).toBe(true); // the client sees the stream cut, not a hang
    expect(ctx.scheduler.size).toBe(0);
  });
});
