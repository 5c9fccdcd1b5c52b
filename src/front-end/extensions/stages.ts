/**
 * The pipeline when an extension is loaded, in every mode. Every request takes this path then
 * (known routes too: an extension generator may answer them):
 *
 *   exchange (every header copied; response hooks attached to every write)
 *   → authenticate (AOAI paths: the simulator's key; other paths: the extension's generators and
 *     forwarders check with api.isAuthorized) → read body → request hooks
 *   → generate mode: route again → generator chain (extension ones, then the built-in ones, which
 *     run the plain pipeline: parse → deployment → produce → limit → latency hooks → write)
 *   → record / replay modes: key → recording (limit → latency hooks → replay), or
 *     forwarder chain (record mode), or RecordingNotFound
 *   → an extension's answer: its limiter → latency hooks → write → response hooks.
 */
import { answerImageFile, answerListing } from '../pipeline/listing.js';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { join } from 'node:path';
import type { ForwardDecision, SimResponse } from '../../extension-api.js';
import { errors } from '../../core/errors.js';
import { bodyHash, recordingFileName, requestKey } from '../../core/recording/recording-key.js';
import { readBodyBytes } from '../http/body.js';
import type { Exchange } from '../http/exchange.js';
import type { ExtensionRequest } from './request.js';
import { BUILT_IN, type ExtensionRuntime } from './runtime.js';
import { exchange, fault, HEALTH_BODY, produceBuiltIn, reject, type Pipeline } from '../pipeline/pipeline.js';
import { limitReplay, UNSAFE_PATH, type RecordReplay } from '../pipeline/record-replay.js';
import { sendError, sendJson, sendResponse, type HeaderList } from '../http/respond.js';
import type { Scheduler } from '../scheduler.js';
import { forward, interactionOf, type ForwardRequest } from '../pipeline/upstream.js';

/** Paths of the Azure OpenAI API, which need the simulator's key before any hook runs. */
const isAoaiPath = (path: string): boolean => /^\/+(openai|v1)(\/|$)/.test(path);

/** The exchange with the extension's request model and response hooks (uWS' `req` is valid only now). */
export function extendedExchange(ext: ExtensionRuntime, res: HttpResponse, req: HttpRequest, recordOverhead: (ms: number) => void): { ex: Exchange; request: ExtensionRequest } {
  const ex = exchange(res, req, recordOverhead);
  const headers: Record<string, string> = {};
  req.forEach((name, value) => (headers[name] = name in headers ? `${headers[name]}, ${value}` : value));
  const request = ext.request(ex, headers);
  ex.interceptor = ext.interceptor(request);
  return { ex, request };
}

/** Authenticates (AOAI paths), reads the body, runs the request hooks; `next` takes it from there. */
function receive(
  p: { readonly auth: Pipeline['auth']; readonly settings: Pipeline['settings']; readonly log: Pipeline['log'] },
  ext: ExtensionRuntime,
  ex: Exchange,
  request: ExtensionRequest,
  next: () => void,
): void {
  if (isAoaiPath(ex.path)) {
    if (!p.auth.check(ex.headers)) return reject(ex, errors.unauthorized());
    request.authenticated = true;
  }
  readBodyBytes(ex, p.settings.maxBodyBytes, (result) => {
    try {
      if (result.kind === 'too-large') return sendError(ex, errors.bodyTooLarge(p.settings.maxBodyBytes), true);
      request.body = result.text;
      ext.series(
        ext.requestHooks,
        (hook) => hook(request),
        (answer) => {
          try {
            if (answer === undefined) return next();
            respond(ext, ex, request, ext.checkResponse(answer, 'request hook', request.id), undefined);
          } catch (err) {
            fault(p, ex, err);
          }
        },
        (err) => fault(p, ex, ext.fail('request hook', err, request.id)),
      );
    } catch (err) {
      fault(p, ex, err);
    }
  });
}

/** An extension's answer: its limiter, the latency hooks, then the write (and response hooks). */
function respond(ext: ExtensionRuntime, ex: Exchange, request: ExtensionRequest, response: SimResponse, scheduler: Scheduler | undefined): void {
  const limited = ext.limit(request, response);
  const ms = ext.latency(request, { ms: limited.latencyMs ?? 0, operation: undefined, streamed: false });
  const send = (): void => sendResponse(ex, { status: limited.status, headers: limited.headers, body: limited.body });
  const due = ex.startedAt + ms;
  if (!scheduler || due <= performance.now() + 1) return send();
  ex.ready();
  scheduler.at(due, send);
}

// ---- generate mode ----------------------------------------------------------------------------

export function handleExtended(p: Pipeline, ext: ExtensionRuntime, res: HttpResponse, req: HttpRequest): void {
  const { ex, request } = extendedExchange(ext, res, req, p.recordOverhead);
  try {
    const got = ex.method === 'GET' ? p.router.match('GET', ex.path) : undefined;
    if (got?.kind === 'match') {
      // The GET rows of the route table: health, and (issue 13) the listings and generated images.
      const { route, params } = got.match;
      if (route.kind === 'listing') return answerListing(p, ex, route, params);
      if (route.kind === 'image-file') return answerImageFile(ex, params);
      return sendJson(ex, 200, HEALTH_BODY);
    }
    receive(p, ext, ex, request, () => generate(p, ext, ex, request));
  } catch (err) {
    fault(p, ex, err);
  }
}

function generate(p: Pipeline, ext: ExtensionRuntime, ex: Exchange, request: ExtensionRequest): void {
  // Routed after the request hooks, which may have changed the method or the path.
  const found = p.router.match(request.method.toUpperCase(), request.path);
  const match = found.kind === 'match' && found.match.route.kind === 'api' ? found.match : undefined;
  request.route = match?.route.kind === 'api' ? match.route : undefined;
  const links = ext.generators.links;
  ext.series(
    links,
    (link) => link.handler(request),
    (answer, index) => {
      try {
        if (answer === undefined) {
          return sendError(ex, found.kind === 'wrong-method' ? errors.methodNotAllowed(found.allowed) : errors.routeNotFound());
        }
        if (answer === (BUILT_IN as unknown)) {
          const route = match!.route;
          if (route.kind !== 'api') return sendError(ex, errors.routeNotFound());
          if (!request.authenticated && !p.auth.check(request.requestHeaders)) return sendError(ex, errors.unauthorized());
          return produceBuiltIn(p, ex, route, match!.params, request.body);
        }
        respond(ext, ex, request, ext.checkResponse(answer, `generator "${links[index]!.name}"`, request.id), p.scheduler);
      } catch (err) {
        fault(p, ex, err);
      }
    },
    (err, index) => fault(p, ex, ext.fail(`generator "${links[index]!.name}"`, err, request.id)),
  );
}

// ---- record and replay modes ------------------------------------------------------------------

export function handleRecordReplayExtended(p: RecordReplay, ext: ExtensionRuntime, res: HttpResponse, req: HttpRequest): void {
  const { ex, request } = extendedExchange(ext, res, req, p.recordOverhead);
  try {
    receive(p, ext, ex, request, () => recordOrReplay(p, ext, ex, request));
  } catch (err) {
    fault(p, ex, err);
  }
}

function recordOrReplay(p: RecordReplay, ext: ExtensionRuntime, ex: Exchange, request: ExtensionRequest): void {
  const method = request.method.toUpperCase();
  const hash = bodyHash(request.body, request.headers['content-type'] ?? '');
  const key = requestKey(method, request.path, hash);
  const hit = p.index.get(key);
  if (hit) {
    const targetMs = ext.latencyHooks.length > 0 ? ext.latency(request, { ms: hit.durationMs, operation: undefined, streamed: hit.events !== undefined }) : undefined;
    return limitReplay(p, ex, hit, request.body, request.path, targetMs);
  }
  const file = recordingFileName(request.path);
  if (p.settings.mode === 'replay') return sendError(ex, errors.recordingNotFound(join(p.settings.recordingDir, file), key));
  const headers: HeaderList = Object.entries(request.headers);
  const forwarded: ForwardRequest = { method, path: request.path, query: request.query, headers, body: request.body, bodyHash: hash };
  const record = (interaction: Parameters<RecordReplay['recorded']>[1]): void => p.recorded(file, interaction);
  const links = ext.forwarders.links;
  ext.series(
    links,
    (link) => link.handler(request),
    (decision, index) => {
      try {
        if (decision === undefined) return sendError(ex, errors.routeNotFound());
        if (decision === (BUILT_IN as unknown)) {
          // Only AOAI paths go upstream, and never one that could climb out of them (`/openai/../x`).
          if (!request.path.startsWith('/openai/') || UNSAFE_PATH.test(request.path)) return sendError(ex, errors.routeNotFound());
          if (!request.authenticated && !p.auth.check(request.requestHeaders)) return sendError(ex, errors.unauthorized());
          return forward(ex, forwarded, p.settings, record, (err) => fault(p, ex, err));
        }
        const what = `forwarder "${links[index]!.name}"`;
        const d = decision as ForwardDecision;
        if (typeof d !== 'object' || d === null) throw ext.fail(what, new Error(`returned garbage: expected {response, persist} or {url, headers, persist}, got ${String(d)}`), request.id);
        if ('response' in d) {
          const response = ext.checkResponse(d.response, what, request.id);
          const persist = d.persist ?? (response.status >= 200 && response.status < 300);
          if (persist) {
            const kept = Object.entries(response.headers);
            const body = typeof response.body === 'string' ? Buffer.from(response.body) : Buffer.from(response.body ?? new Uint8Array());
            record(interactionOf(forwarded, 'http://extension', response.status, kept, body, Math.round(performance.now() - ex.startedAt), undefined));
          }
          return respond(ext, ex, request, { ...response, latencyMs: undefined }, undefined);
        }
        if (typeof (d as { url?: unknown }).url !== 'string') throw ext.fail(what, new Error('returned garbage: expected {response, persist} or {url, headers, persist}'), request.id);
        const persist = d.persist;
        forward(ex, forwarded, p.settings, record, (err) => fault(p, ex, err), {
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
      } catch (err) {
        fault(p, ex, err);
      }
    },
    (err, index) => fault(p, ex, ext.fail(`forwarder "${links[index]!.name}"`, err, request.id)),
  );
}
