/**
 * The extension's stages on the spine (pipeline/spine.ts), chosen once by thread.ts:
 *
 * - `handleWatched`: an extension that only watches (response or latency hooks, generate mode) —
 *   the plain spine, with the response-hook sink on the exchange and the body handed to the
 *   request model hooks see;
 * - `handleExtended` (generate mode) and `handleRecordReplayExtended` (record and replay): every
 *   header copied → authenticate (AOAI paths: the simulator's key; other paths: the extension's
 *   generators and forwarders check with api.isAuthorized) → read body → the request stage (the
 *   request hooks; what they leave becomes the exchange's request, `Exchange.rewrite`) →
 *   generate mode: route again → the generator chain, whose built-in links run the generate
 *   producer (pipeline/generate.ts); record / replay: the one decision (pipeline/replay.ts
 *   `decide`) → replay, RecordingNotFound, or the forwarder chain (record mode) →
 *   an extension's answer: its limiter → latency hooks → the sink (response hooks).
 */
import type { ForwardDecision, SimResponse } from '../../extension-api.js';
import { errors } from '../../core/errors.js';
import type { Route } from '../../core/wire/routes.js';
import type { ThreadContext } from '../context.js';
import type { Exchange } from '../http/exchange.js';
import { fault, guard, reject } from '../http/fault.js';
import { sendError, type HeaderList } from '../http/respond.js';
import { readBodyBytes } from '../http/body.js';
import type { RequestView } from '../http/server.js';
import { produceGenerated } from '../pipeline/generate.js';
import { answerGet } from '../pipeline/listing.js';
import { chargeReplay, decide, forwardable } from '../pipeline/replay.js';
import { forward, interactionOf } from '../pipeline/record.js';
import { paramsOf, received, routed } from '../pipeline/spine.js';
import { answerStored } from '../pipeline/responses.js';
import type { ExtensionRequest } from './request.js';
import { BUILT_IN, type ExtensionRuntime } from './runtime.js';

/** Paths of the Azure OpenAI API, which need the simulator's key before any hook runs. */
const isAoaiPath = (path: string): boolean => /^\/+(openai|v1)(\/|$)/.test(path);

/** The exchange with the extension's request model and response hooks (uWS' `req` is valid only now). */
function extend(ext: ExtensionRuntime, ex: Exchange, req: RequestView): ExtensionRequest {
  const headers: Record<string, string> = {};
  req.forEach((name, value) => (headers[name] = name in headers ? `${headers[name]}, ${value}` : value));
  const request = ext.request(ex, headers);
  ex.sink = ext.sink(request, ex.sink);
  return request;
}

/**
 * A natively routed request when the extension only watches (response or latency hooks): the
 * plain spine, with the response hooks attached to its writes.
 */
export function handleWatched(ctx: ThreadContext, ext: ExtensionRuntime, ex: Exchange, req: RequestView, route: Route): void {
  const request = extend(ext, ex, req);
  routed(ctx, ex, route, paramsOf(route, req), (ctx, ex, route, params, body) => {
    // Response hooks may look at the body the plain pipeline read.
    if (typeof body === 'string') request.receivedText(body);
    else request.body = body;
    produceGenerated(ctx, ex, route, params, body);
  });
}

/** Authenticates (AOAI paths), reads the body, runs the request hooks; `next` takes it from there. */
function receive(ctx: ThreadContext, ext: ExtensionRuntime, ex: Exchange, request: ExtensionRequest, next: () => void): void {
  if (isAoaiPath(ex.path)) {
    if (!ctx.auth.check(ex.headers)) return reject(ex, ctx.auth.rejection(ex.headers));
    request.authenticated = true;
  }
  readBodyBytes(ex, ctx.settings.maxBodyBytes, received(ctx, ex, (body: Buffer) => {
    request.body = body;
    ext.series(
      ext.requestHooks,
      (hook) => hook(request),
      guard(ctx.log, ex, (answer: SimResponse | undefined) => {
        if (answer === undefined) {
          // What the hooks left is the request from here on, for every step.
          if (ext.requestHooks.length > 0) ex.rewrite(request.method.toUpperCase(), request.path, request.query, request.requestHeaders);
          return next();
        }
        respond(ctx, ext, ex, request, ext.checkResponse(answer, 'request hook', request.id), false);
      }),
      (err) => fault(ctx.log, ex, ext.fail('request hook', err, request.id)),
    );
  }));
}

/** An extension's answer: its limiter, the latency hooks, then the write (and response hooks). */
function respond(ctx: ThreadContext, ext: ExtensionRuntime, ex: Exchange, request: ExtensionRequest, response: SimResponse, delayed: boolean): void {
  const limiting = ext.limit(request, response);
  if (limiting instanceof Promise) return void limiting.then(guard(ctx.log, ex, (limited: SimResponse) => limitedRespond(ctx, ext, ex, request, limited, delayed)), (err: unknown) => fault(ctx.log, ex, err));
  limitedRespond(ctx, ext, ex, request, limiting, delayed);
}

function limitedRespond(ctx: ThreadContext, ext: ExtensionRuntime, ex: Exchange, request: ExtensionRequest, limited: SimResponse, delayed: boolean): void {
  const ms = ext.latency(request, { ms: limited.latencyMs ?? 0, operation: undefined, streamed: false });
  const send = (): void => ex.sink.whole(ex, limited.status, undefined, limited.body ?? '', Object.entries(limited.headers));
  const due = ex.startedAt + ms;
  if (!delayed || due <= ctx.scheduler.now() + 1) return send();
  ex.ready();
  ctx.scheduler.at(due, guard(ctx.log, ex, send));
}

// ---- generate mode ----------------------------------------------------------------------------

export function handleExtended(ctx: ThreadContext, ext: ExtensionRuntime, ex: Exchange, req: RequestView): void {
  const request = extend(ext, ex, req);
  try {
    // The GET rows of the route table (health, listings, image files) answer before any hook runs.
    const got = ex.method === 'GET' ? ctx.router.match('GET', ex.path) : undefined;
    if (got?.kind === 'match' && got.match.route.kind !== 'api' && got.match.route.kind !== 'stored-response') return answerGet(ctx, ex, got.match.route, got.match.params);
    receive(ctx, ext, ex, request, () => generate(ctx, ext, ex, request));
  } catch (err) {
    fault(ctx.log, ex, err);
  }
}

function generate(ctx: ThreadContext, ext: ExtensionRuntime, ex: Exchange, request: ExtensionRequest): void {
  // Routed after the request hooks, which may have changed the method or the path.
  const found = ctx.router.match(request.method.toUpperCase(), request.path);
  const match = found.kind === 'match' && found.match.route.kind === 'api' ? found.match : undefined;
  request.route = match?.route.kind === 'api' ? match.route : undefined;
  // The stored-response routes read the store the built-in Responses generator wrote: no
  // generator link stands for them, so they are answered after the request hooks, as built in.
  if (found.kind === 'match' && found.match.route.kind === 'stored-response') {
    if (!request.authenticated && !ctx.auth.check(ex.headers)) return sendError(ex, ctx.auth.rejection(ex.headers));
    return answerStored(ctx, ex, found.match.route, found.match.params);
  }
  const links = ext.generators.links;
  ext.series(
    links,
    (link) => link.handler(request),
    guard(ctx.log, ex, (answer: SimResponse | undefined, index: number) => {
      if (answer === undefined) {
        return sendError(ex, found.kind === 'wrong-method' ? errors.methodNotAllowed(found.allowed) : errors.routeNotFound());
      }
      if (answer === (BUILT_IN as unknown)) {
        if (!match) return sendError(ex, errors.routeNotFound());
        if (!request.authenticated && !ctx.auth.check(ex.headers)) return sendError(ex, ctx.auth.rejection(ex.headers));
        const { route } = match;
        if (route.kind !== 'api') return sendError(ex, errors.routeNotFound());
        return produceGenerated(ctx, ex, route, match.params, request.body);
      }
      respond(ctx, ext, ex, request, ext.checkResponse(answer, `generator "${links[index]!.name}"`, request.id), true);
    }),
    (err, index) => fault(ctx.log, ex, ext.fail(`generator "${links[index]!.name}"`, err, request.id)),
  );
}

// ---- record and replay modes ------------------------------------------------------------------

export function handleRecordReplayExtended(ctx: ThreadContext, ext: ExtensionRuntime, ex: Exchange, req: RequestView): void {
  const request = extend(ext, ex, req);
  try {
    receive(ctx, ext, ex, request, () => recordOrReplay(ctx, ext, ex, request));
  } catch (err) {
    fault(ctx.log, ex, err);
  }
}

/** The same decision as the plain path's (pipeline/replay.ts `decide`), over the request as the hooks left it. */
function recordOrReplay(ctx: ThreadContext, ext: ExtensionRuntime, ex: Exchange, request: ExtensionRequest): void {
  const headers: HeaderList = Object.entries(request.headers);
  const decision = decide(ctx, { method: request.method.toUpperCase(), path: request.path, query: request.query, headers, body: request.body, contentType: request.headers['content-type'] ?? '' });
  if (decision.kind === 'replay') {
    const hit = decision.entry;
    const targetMs = ext.latencyHooks.length > 0 ? ext.latency(request, { ms: hit.durationMs, operation: undefined, streamed: hit.events !== undefined }) : undefined;
    return chargeReplay(ctx, ex, hit, request.body, request.path, targetMs);
  }
  if (decision.kind === 'missing') return sendError(ex, decision.error);
  const { file, forwarded } = decision;
  const record = (interaction: Parameters<ThreadContext['recorded']>[1]): void => ctx.recorded(file, interaction);
  const links = ext.forwarders.links;
  ext.series(
    links,
    (link) => link.handler(request),
    guard(ctx.log, ex, (decision: ForwardDecision | undefined, index: number) => {
      if (decision === undefined) return sendError(ex, errors.routeNotFound());
      if (decision === (BUILT_IN as unknown)) {
        if (!forwardable(request.path)) return sendError(ex, errors.routeNotFound());
        if (!request.authenticated && !ctx.auth.check(ex.headers)) return sendError(ex, ctx.auth.rejection(ex.headers));
        return forward(ex, forwarded, ctx.settings, record, (err) => fault(ctx.log, ex, err));
      }
      const what = `forwarder "${links[index]!.name}"`;
      const d = decision;
      if (typeof d !== 'object' || d === null) throw ext.fail(what, new Error(`returned garbage: expected {response, persist} or {url, headers, persist}, got ${String(d)}`), request.id);
      if ('response' in d) {
        const response = ext.checkResponse(d.response, what, request.id);
        const persist = d.persist ?? (response.status >= 200 && response.status < 300);
        if (persist) {
          const kept = Object.entries(response.headers);
          const body = typeof response.body === 'string' ? Buffer.from(response.body) : Buffer.from(response.body ?? new Uint8Array());
          record(interactionOf(forwarded, 'http://extension', response.status, kept, body, Math.round(ctx.scheduler.now() - ex.startedAt), undefined));
        }
        return respond(ctx, ext, ex, request, { ...response, latencyMs: undefined }, false);
      }
      if (typeof (d as { url?: unknown }).url !== 'string') throw ext.fail(what, new Error('returned garbage: expected {response, persist} or {url, headers, persist}'), request.id);
      const persist = d.persist;
      forward(ex, forwarded, ctx.settings, record, (err) => fault(ctx.log, ex, err), {
        url: d.url,
        headers: d.headers,
        // The extension's decision is guarded like its other calls: a throw means "do not record".
        persist: persist
          ? (r) => {
              try {
                return persist(r) === true;
              } catch (err) {
                ext.fail(`${what} persist`, err, request.id);
                return false;
              }
            }
          : undefined,
      });
    }),
    (err, index) => fault(ctx.log, ex, ext.fail(`forwarder "${links[index]!.name}"`, err, request.id)),
  );
}
