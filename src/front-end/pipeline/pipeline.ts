/**
 * The request pipeline, one path for every request:
 *
 *   route → authenticate → read body → parse → deployment → produce → write
 *
 * `produce` is where a mode answers (generate today; record and replay plug in beside it), and
 * where limits, latency and extension hooks will sit as their own named steps. Each step either
 * passes the exchange on or answers with an AOAI error; nothing here throws past the handler,
 * because an exception escaping a uWS callback would take the whole thread down.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Answer, StreamAnswer } from '../../core/generation/answer.js';
import { pace, type LatencyConfig } from '../../core/latency.js';
import type { DeploymentRegistry } from '../../core/config/deployments.js';
import { formBody } from '../../core/generation/audio.js';
import { errors, ExtensionFailure, type ApiError } from '../../core/errors.js';
import { boundaryOf, parseMultipart } from '../../core/wire/multipart.js';
import { countInline, HeavyCount } from '../../core/tokens/counting-policy.js';
import { generate, type GenerateOptions } from '../../core/generation/index.js';
import { isObject } from '../../core/generation/requests.js';
import { eventChunks } from '../../core/generation/sse.js';
import { supports, type Operation } from '../../core/models.js';
import { requestCost, type DeploymentLimiter } from '../../core/limits/rate-limits.js';
import { decodeSegment, type Router } from '../../core/wire/router.js';
import type { Settings } from '../../core/config/settings.js';
import type { ApiKeyAuth } from '../http/auth.js';
import { readBody, readBodyBytes, type BodyResult } from '../http/body.js';
import { Exchange } from '../http/exchange.js';
import type { Log } from '../../log.js';
import { placement } from './offload.js';
import type { PoolClient } from '../pool-client.js';
import { abandon, endResponse, openEventStream, sendBody, sendError, sendJson, streamEvents, writePart, type Headers } from '../http/respond.js';
import type { Scheduler } from '../scheduler.js';
import type { Route } from '../../core/wire/routes.js';
import type { ExtensionRuntime } from '../extensions/runtime.js';
import { extendedExchange, handleExtended } from '../extensions/stages.js';
import { answerImageFile, answerListing, imageOptions, patternParams } from './listing.js';

export interface Pipeline {
  readonly settings: Settings;
  readonly router: Router<Route>;
  readonly auth: ApiKeyAuth;
  /** Replaced when `PATCH /++/config` changes the deployments. */
  deployments: DeploymentRegistry;
  readonly pool: PoolClient | undefined;
  /** The thread's one timer structure for simulated latency. */
  readonly scheduler: Scheduler;
  /** Takes the simulator's own time per request (ms) for `/++/stats`. */
  readonly recordOverhead: (ms: number) => void;
  /** The latency settings in force (a function: they will change at run time). */
  readonly latency: () => LatencyConfig;
  /** Rate limiters by deployment name, over windows shared by every thread. */
  limiters: ReadonlyMap<string, DeploymentLimiter>;
  /** Replaced when `PATCH /++/config` changes the agent policy. */
  generateOptions: GenerateOptions;
  readonly log: Log;
  /** The loaded extension (EXTENSION_PATH); undefined keeps every request on the plain path. */
  ext: ExtensionRuntime | undefined;
}

export type ApiRoute = Extract<Route, { kind: 'api' }>;

export const HEALTH_BODY = JSON.stringify({ message: '👋 aoai-simulated-api is running' });

/** Copies what the pipeline needs out of `req`, which is only valid during the handler call. */
export function exchange(res: HttpResponse, req: HttpRequest, recordOverhead: (ms: number) => void = ignore): Exchange {
  const headers = {
    apiKey: req.getHeader('api-key'),
    authorization: req.getHeader('authorization'),
    contentType: req.getHeader('content-type'),
    contentLength: req.getHeader('content-length'),
    host: req.getHeader('host'),
  };
  return new Exchange(res, req.getMethod().toUpperCase(), req.getUrl(), req.getQuery() ?? '', headers, recordOverhead);
}

const ignore = (): void => {};

/** A request uWebSockets.js' own router matched to a route of the table (the fast path). */
export function handleRoute(p: Pipeline, res: HttpResponse, req: HttpRequest, route: Route): void {
  // An extension that only watches (response or latency hooks) leaves native routing in place.
  if (p.ext && !p.ext.routesAsBuiltIn) return handleExtended(p, p.ext, res, req);
  const params =
    route.kind === 'api' && route.deploymentFrom === 'path'
      ? { deployment: decodeSegment(req.getParameter(0) ?? '') }
      : route.kind === 'listing' || route.kind === 'image-file'
        ? patternParams(route.pattern, req)
        : NO_PARAMS;
  const ex = p.ext ? extendedExchange(p.ext, res, req, p.recordOverhead).ex : exchange(res, req, p.recordOverhead);
  try {
    dispatch(p, ex, route, params);
  } catch (err) {
    fault(p, ex, err);
  }
}

/**
 * Everything uWS did not match: unknown routes (404), wrong methods (405), and paths that only
 * match once runs of slashes are collapsed. The JS router decides; this path is not hot.
 */
export function handleUnmatched(p: Pipeline, res: HttpResponse, req: HttpRequest): void {
  if (p.ext) return handleExtended(p, p.ext, res, req);
  const ex = exchange(res, req, p.recordOverhead);
  try {
    const found = p.router.match(ex.method, ex.path);
    if (found.kind === 'none') return reject(ex, errors.routeNotFound());
    if (found.kind === 'wrong-method') return reject(ex, errors.methodNotAllowed(found.allowed));
    dispatch(p, ex, found.match.route, found.match.params);
  } catch (err) {
    fault(p, ex, err);
  }
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

function dispatch(p: Pipeline, ex: Exchange, route: Route, params: Readonly<Record<string, string>>): void {
  if (route.kind === 'health') return sendJson(ex, 200, HEALTH_BODY);
  if (route.kind === 'listing') return answerListing(p, ex, route, params);
  if (route.kind === 'image-file') return answerImageFile(ex, params);
  authenticate(p, ex, route, params);
}

function authenticate(p: Pipeline, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>): void {
  if (!p.auth.check(ex.headers)) return reject(ex, p.auth.rejection(ex.headers));
  const limit = p.settings.maxBodyBytes;
  // JSON routes read text, form uploads bytes; what follows the read is the same.
  const received =
    <T extends string | Buffer>(next: (body: T) => void) =>
    (result: BodyResult<T>): void => {
      try {
        if (result.kind === 'too-large') return sendError(ex, errors.bodyTooLarge(limit), true);
        ex.interceptor?.received(result.text);
        next(result.text);
      } catch (err) {
        fault(p, ex, err);
      }
    };
  if (route.body === 'multipart') return readBodyBytes(ex, limit, received((bytes) => parseForm(p, ex, route, params, bytes)));
  readBody(ex, limit, received((text) => parse(p, ex, route, params, text)));
}

/**
 * The built-in handling of an API route from its body on (parse → deployment → produce → limit →
 * write): what the built-in generators of an extension's chain run.
 */
export function produceBuiltIn(p: Pipeline, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, body: Buffer): void {
  if (route.body === 'multipart') parseForm(p, ex, route, params, body);
  else parse(p, ex, route, params, body.toString('utf8'));
}

/** A form upload (audio): its fields become the body the generator reads; the bytes are not kept. */
function parseForm(p: Pipeline, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, bytes: Buffer): void {
  const boundary = boundaryOf(ex.headers.contentType);
  if (!boundary) return sendError(ex, errors.notMultipart(ex.headers.contentType));
  const parts = parseMultipart(bytes, boundary);
  if (!parts) return sendError(ex, errors.malformedMultipart());
  deployment(p, ex, route, params, formBody(parts), '');
}

/** Curl's default type is accepted too: people post JSON with `-d` and no header. */
function isJsonContentType(contentType: string): boolean {
  const type = contentType.toLowerCase();
  return type === '' || type.includes('json') || type.startsWith('application/x-www-form-urlencoded') || type.startsWith('text/plain');
}

function parse(p: Pipeline, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, text: string): void {
  if (!isJsonContentType(ex.headers.contentType)) return sendError(ex, errors.unsupportedContentType(ex.headers.contentType));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return sendError(ex, errors.invalidJson());
  }
  if (!isObject(body)) return sendError(ex, errors.bodyNotObject(body));
  deployment(p, ex, route, params, body, text);
}

function deployment(p: Pipeline, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, body: Record<string, unknown>, text: string): void {
  let name: string;
  if (route.deploymentFrom === 'path') name = params.deployment!;
  else if (body.model === undefined) return sendError(ex, errors.missingField('model'));
  else if (typeof body.model !== 'string') return sendError(ex, errors.invalidType('model', 'a string', body.model));
  else name = body.model;

  const found = p.deployments.resolve(name, route.operation);
  if (!found) return sendError(ex, errors.deploymentNotFound());
  if (!supports(found.model, route.operation)) return sendError(ex, errors.operationNotSupported(route.operation, name));

  const limiter = p.limiters.get(found.name);
  if (limiter) {
    const cost = requestCost(route.operation, body);
    const certain = limiter.check(cost);
    if (!certain.allowed) return sendError(ex, limiter.rejection(certain, route.operation, ex.apiVersion, cost));
  }
  const produced = (answer: Answer): void => limit(p, ex, answer, route.operation, found.name, body);
  const where = p.pool ? placement(p.settings, text.length, body) : 'inline';
  const options = route.operation === 'images' ? imageOptions(p, ex) : p.generateOptions;
  if (where === 'inline') return produced(generate(route.operation, body, found, options));
  if (where === 'try-inline') {
    const answer = inlineIfCached(p.settings.poolMinBodyBytes, () => generate(route.operation, body, found, options));
    if (answer) return produced(answer);
  }
  p.pool!.run({ operation: route.operation, body: text, deployment: found, options }).then(produced, (err) => fault(p, ex, err));
}

/** The generator's answer if it needed to count at most `budget` uncached characters; else undefined. */
function inlineIfCached(budget: number, make: () => Answer): Answer | undefined {
  try {
    return countInline(budget, make);
  } catch (err) {
    if (err instanceof HeavyCount) return undefined;
    throw err;
  }
}

/**
 * The deployment's rate limit, charged for answers the generator made (as the Python simulator
 * does, errors are not charged): a rejection replaces the answer with AOAI's 429, an admission
 * adds the x-ratelimit headers. Deployments without limits pass straight through.
 */
function limit(p: Pipeline, ex: Exchange, answer: Answer, operation: Operation, deployment: string, body: Readonly<Record<string, unknown>>): void {
  try {
    const limiter = answer.kind === 'error' ? undefined : p.limiters.get(deployment);
    if (!limiter) return write(p, ex, answer, undefined, operation);
    const cost = requestCost(operation, body);
    const admission = limiter.admit(cost);
    if (!admission.allowed) return sendError(ex, limiter.rejection(admission, operation, ex.apiVersion, cost));
    write(p, ex, answer, limiter.successHeaders(admission), operation);
  } catch (err) {
    fault(p, ex, err);
  }
}

/**
 * The latency step and the write: an answer leaves when the latency model says the service would
 * have finished it (counted from the request's arrival, so the simulator's own time is included),
 * a stream one token's worth of time before each token event. Zero latency writes at once.
 */
function write(p: Pipeline, ex: Exchange, answer: Answer, headers?: Headers, operation?: Operation): void {
  try {
    if (answer.kind === 'error') return sendError(ex, answer.error);
    let timing = operation ? pace(p.latency(), operation, answer) : NO_DELAY;
    if (p.ext && p.ext.latencyHooks.length > 0) timing = p.ext.retime(ex, timing, operation, answer.kind === 'stream');
    if (answer.kind === 'json') {
      const due = ex.startedAt + timing.totalMs;
      const send = (): void => sendBody(ex, 200, answer.contentType ?? 'application/json', answer.body, headers);
      if (due <= performance.now() + 1) return send();
      ex.ready();
      return p.scheduler.at(due, send);
    }
    if (timing.totalMs <= 0) return streamEvents(ex, eventChunks([answer.head, answer.tokens, answer.tail]), (err) => fault(p, ex, err), headers);
    pacedStream(p, ex, answer, timing.firstTokenMs, timing.perTokenMs, headers);
  } catch (err) {
    fault(p, ex, err);
  }
}

const NO_DELAY = { totalMs: 0, firstTokenMs: 0, perTokenMs: 0 } as const;

/** Token events at their due times (all due ones in one write), on the thread's scheduler. */
function pacedStream(p: Pipeline, ex: Exchange, answer: StreamAnswer, firstTokenMs: number, perTokenMs: number, headers?: Headers): void {
  openEventStream(ex, headers);
  writePart(ex, answer.head.join(''));
  const { tokens, tail, choices } = answer;
  const dueOf = (event: number): number => ex.startedAt + firstTokenMs + perTokenMs * Math.floor(event / choices);
  let next = 0;
  const step = (): void => {
    if (ex.state !== 'streaming') return;
    const now = performance.now() + 1;
    let chunk = '';
    while (next < tokens.length && dueOf(next) <= now) chunk += tokens[next++];
    if (next >= tokens.length) {
      writePart(ex, chunk + tail.join(''));
      return endResponse(ex);
    }
    if (chunk !== '') writePart(ex, chunk);
    p.scheduler.at(dueOf(next), step);
  };
  p.scheduler.at(dueOf(0), step);
}

/** An error answered before the body was read: close the connection rather than drain the upload. */
export function reject(ex: Exchange, error: ApiError): void {
  const bodyPending = ex.headers.contentLength !== '' && ex.headers.contentLength !== '0';
  sendError(ex, error, bodyPending);
}

/**
 * A bug, not bad input: log it, answer 500 in the envelope if nothing was sent yet, or cut the
 * connection if a stream was under way (a client must not wait for an end that never comes).
 */
export function fault(p: Pick<Pipeline, 'log'>, ex: Exchange, err: unknown): void {
  // An extension's failure was logged where it was caught (with the extension's name).
  if (err instanceof ExtensionFailure) {
    if (ex.state === 'open') sendError(ex, err.apiError);
    else abandon(ex);
    return;
  }
  p.log.error(`request ${ex.requestId} ${ex.method} ${ex.path} failed: ${(err as Error)?.stack ?? String(err)}`);
  if (ex.state === 'open') sendError(ex, errors.internal('an unexpected error occurred; see the simulator log'));
  else abandon(ex);
}
