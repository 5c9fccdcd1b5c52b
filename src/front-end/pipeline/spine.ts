/**
 * The spine every request of the plain path takes:
 *
 *   receive → authenticate → read body → produce → charge → pace → write
 *
 * `produce` is the mode's producer, chosen once when the thread registers its routes: generate
 * (generate.ts), or replay / record (replay.ts, record.ts). Charge, pace and write are pace.ts.
 * Control enters from outside at a few points only — the uWS handler, uWS' onData, the pool's
 * promise, scheduler tasks, upstream events — and each is guarded (http/fault.ts `guard`): an
 * exception escaping a uWS callback would take the whole thread down, and a request that fails
 * must still get its 500 (or, after its head was sent, a closed connection).
 */
import { errors } from '../../core/errors.js';
import { decodeSegment } from '../../core/wire/router.js';
import type { GetRoute, Route } from '../../core/wire/routes.js';
import type { ThreadContext } from '../context.js';
import { readBody, readBodyBytes, type BodyResult } from '../http/body.js';
import type { Exchange } from '../http/exchange.js';
import { fault, reject } from '../http/fault.js';
import { sendError } from '../http/respond.js';
import type { RequestView } from '../http/server.js';
import { produceGenerated, type ApiRoute } from './generate.js';
import { answerGet } from './listing.js';
import { recordOrReplay } from './replay.js';

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

/** A natively routed request's parameters, percent-decoded: the deployment segment, or a GET row's. */
export function paramsOf(route: Route, req: RequestView): Readonly<Record<string, string>> {
  if (route.kind === 'api') return route.deploymentFrom === 'path' ? { deployment: decodeSegment(req.getParameter(0) ?? '') } : NO_PARAMS;
  return route.kind === 'health' ? NO_PARAMS : patternParams(route, req);
}

/** uWS' parameters by the pattern's names (uWS numbers them in order). */
function patternParams(route: GetRoute, req: RequestView): Readonly<Record<string, string>> {
  const params: Record<string, string> = {};
  let i = 0;
  for (const segment of route.pattern.split('/')) if (segment.startsWith(':')) params[segment.slice(1)] = decodeSegment(req.getParameter(i++) ?? '');
  return params;
}

/** Generate mode: a request uWebSockets.js' own router matched to a route of the table (the fast path). */
export function handleRoute(ctx: ThreadContext, ex: Exchange, req: RequestView, route: Route): void {
  routed(ctx, ex, route, paramsOf(route, req));
}

/**
 * Generate mode: everything uWS did not match — unknown routes (404), wrong methods (405), and
 * paths that only match once runs of slashes are collapsed. The JS router decides; not hot.
 */
export function handleUnmatched(ctx: ThreadContext, ex: Exchange): void {
  try {
    const found = ctx.router.match(ex.method, ex.path);
    if (found.kind === 'none') return reject(ex, errors.routeNotFound());
    if (found.kind === 'wrong-method') return reject(ex, errors.methodNotAllowed(found.allowed));
    routed(ctx, ex, found.match.route, found.match.params);
  } catch (err) {
    fault(ctx.log, ex, err);
  }
}

/** What makes the answer once the body is read (generate mode's producer, or an extension's wrapper of it). */
export type Produce = (ctx: ThreadContext, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, body: string | Buffer) => void;

/** A routed request of generate mode, from authentication on (guard point: the uWS handler). */
export function routed(ctx: ThreadContext, ex: Exchange, route: Route, params: Readonly<Record<string, string>>, produce: Produce = produceGenerated): void {
  try {
    // The GET rows (health, listings, image files) answer from what the thread holds; no body.
    if (route.kind !== 'api') return answerGet(ctx, ex, route, params);
    if (!ctx.auth.check(ex.headers)) return reject(ex, ctx.auth.rejection(ex.headers));
    // JSON routes read text, form uploads bytes; what follows the read is the same.
    if (route.body === 'multipart') return readBodyBytes(ex, ctx.settings.maxBodyBytes, received(ctx, ex, (bytes) => produce(ctx, ex, route, params, bytes)));
    readBody(ex, ctx.settings.maxBodyBytes, received(ctx, ex, (text) => produce(ctx, ex, route, params, text)));
  } catch (err) {
    fault(ctx.log, ex, err);
  }
}

/**
 * What follows a body read (guard point: uWS' onData): the one too-large answer, then `next`.
 * The connection is closed with it: the rest of the upload is not worth draining.
 */
export function received<T extends string | Buffer>(ctx: ThreadContext, ex: Exchange, next: (body: T) => void): (result: BodyResult<T>) => void {
  // `guard`, written out: this is the hot path, one closure per request rather than two.
  return (result: BodyResult<T>): void => {
    try {
      if (result.kind === 'too-large') return sendError(ex, errors.bodyTooLarge(ctx.settings.maxBodyBytes), true);
      next(result.text);
    } catch (err) {
      fault(ctx.log, ex, err);
    }
  };
}

/** Record and replay modes: any path → authenticate → read body (bytes) → replay or record. */
export function handleRecordReplay(ctx: ThreadContext, ex: Exchange, req: RequestView): void {
  // Record mode forwards every header; uWS' request is only valid now.
  const headers: [string, string][] = [];
  if (ctx.settings.mode === 'record') req.forEach((name, value) => headers.push([name, value]));
  try {
    if (!ctx.auth.check(ex.headers)) return reject(ex, ctx.auth.rejection(ex.headers));
    readBodyBytes(ex, ctx.settings.maxBodyBytes, received(ctx, ex, (body) => recordOrReplay(ctx, ex, { method: ex.method, path: ex.path, query: ex.query, headers, body, contentType: ex.headers.contentType })));
  } catch (err) {
    fault(ctx.log, ex, err);
  }
}
