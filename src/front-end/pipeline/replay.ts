/**
 * Record and replay modes' producers. The decision is made once, here (`decide`), for the plain
 * path and the extension's alike: the request's key → a recording (charged, then replayed with its
 * recorded timing), or — replay mode — RecordingNotFound, or — record mode — forward and record
 * (record.ts; an extension's forwarders may stand in). Record mode is also a cache: what it
 * recorded it replays.
 *
 * Replayed timing: a whole answer when `duration_ms` has passed since the request arrived, a
 * stream event by event at the recorded offsets. The waits run on the thread's one scheduler,
 * like generated latency; a step finds the exchange gone if the client went away, and stops.
 */
import { join } from 'node:path';
import { errors, type ApiError } from '../../core/errors.js';
import { isObject } from '../../core/generation/requests.js';
import { charge, type Charged } from '../../core/limits/charge.js';
import { deploymentOperation, requestCost } from '../../core/limits/rate-limits.js';
import type { ReplayEntry } from '../../core/recording/recording-file.js';
import { bodyHash, recordingFileName, requestKey } from '../../core/recording/recording-key.js';
import { isSafePath } from '../../core/wire/path-safety.js';
import type { ThreadContext } from '../context.js';
import type { Exchange } from '../http/exchange.js';
import { fault, guard } from '../http/fault.js';
import { sendError, type HeaderList } from '../http/respond.js';
import type { Scheduler } from '../scheduler.js';
import { forward, type ForwardRequest } from './record.js';
import { answerStored } from './responses.js';
import { storedFromRecorded } from '../../core/responses/recorded.js';
import { encodeRecord } from '../../core/responses/store.js';
import type { StoredResponseRoute } from '../../core/wire/routes.js';
import { faultStep } from './faults.js';
import type { Operation } from '../../core/models.js';

/** A request as record and replay modes key it (after any request hooks rewrote it). */
export interface KeyedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Every request header (record mode forwards them). */
  readonly headers: HeaderList;
  readonly body: Buffer;
  readonly contentType: string;
}

export type Decision =
  | { readonly kind: 'replay'; readonly entry: ReplayEntry }
  | { readonly kind: 'missing'; readonly error: ApiError }
  | { readonly kind: 'forward'; readonly file: string; readonly forwarded: ForwardRequest };

/** The record/replay decision, for every path into these modes. */
export function decide(ctx: ThreadContext, request: KeyedRequest): Decision {
  const hash = bodyHash(request.body, request.contentType);
  const key = requestKey(request.method, request.path, hash);
  const entry = ctx.index.get(key);
  if (entry) return { kind: 'replay', entry };
  const file = recordingFileName(request.path);
  if (ctx.settings.mode === 'replay') return { kind: 'missing', error: errors.recordingNotFound(join(ctx.settings.recordingDir, file), key) };
  const { method, path, query, headers, body } = request;
  return { kind: 'forward', file, forwarded: { method, path, query, headers, body, bodyHash: hash } };
}

/**
 * Whether the built-in forwarder may send a path upstream: only AOAI paths, and never one that
 * could climb out of them at any decoding level (`/openai/../x`, `..%2F`, `%252e`, NUL; core/wire/path-safety.ts).
 */
export const forwardable = (path: string): boolean => path.startsWith('/openai/') && isSafePath(path);

/** The plain path's producer in record and replay modes. */
export function recordOrReplay(ctx: ThreadContext, ex: Exchange, request: KeyedRequest): void {
  const faults = ex.config.faults;
  if (faults !== null) {
    const target = faultTarget(request);
    return faultStep(ctx, ex, faults, target.deployment, target.operation, target.streamed, () => recordedOrReplayed(ctx, ex, request));
  }
  recordedOrReplayed(ctx, ex, request);
}

/**
 * The deployment, operation and stream flag a fault is chosen and shaped for: from the path
 * (`/openai/deployments/{d}/…`) or the body's `model` (v1 routes). Only when faults are configured.
 */
function faultTarget(request: KeyedRequest): { deployment: string; operation: Operation; streamed: boolean } {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(request.body.toString('utf8'));
    if (isObject(parsed)) body = parsed;
  } catch {
    // not JSON (an audio upload)
  }
  const fromPath = deploymentOperation(request.path);
  const operation = fromPath?.operation ?? operationOfV1(request.path);
  return { deployment: fromPath?.deployment ?? (typeof body.model === 'string' ? body.model : ''), operation, streamed: body.stream === true };
}

const operationOfV1 = (path: string): Operation =>
  /\/completions$/.test(path) ? (/chat\/completions$/.test(path) ? 'chat' : 'completions') : /embeddings$/.test(path) ? 'embeddings' : /images\//.test(path) ? 'images' : /translations$/.test(path) ? 'translations' : /audio\//.test(path) ? 'transcriptions' : 'chat';

function recordedOrReplayed(ctx: ThreadContext, ex: Exchange, request: KeyedRequest): void {
  const decision = decide(ctx, request);
  if (decision.kind === 'replay') return storeReplayed(ctx, ex, decision.entry, request, () => chargeReplay(ctx, ex, decision.entry, request.body));
  if (decision.kind === 'missing') {
    // A response replayed here is in the store: its GET, input items and DELETE need no recording.
    const stored = storedResponseRoute(ctx, request.method, request.path);
    if (stored) return answerStored(ctx, ex, stored.route, stored.params);
    return sendError(ex, decision.error);
  }
  if (!forwardable(request.path)) return sendError(ex, errors.routeNotFound());
  // An answer a fault changed is not the service's: it is never recorded.
  forward(ex, decision.forwarded, ctx.settings, (interaction) => (ex.fault === undefined ? ctx.recorded(decision.file, interaction) : undefined), (err) => fault(ctx.log, ex, err));
}

/**
 * Charges a replayed answer to its deployment's rate limit (the deployment and operation come from
 * the path, the cost from the request body, as for generated answers), then replays it with fresh
 * x-ratelimit headers — or answers the 429 instead. Forwarded requests are not charged: the real
 * upstream limits those.
 */
export function chargeReplay(ctx: ThreadContext, ex: Exchange, hit: ReplayEntry, body: Buffer, path = ex.path, targetMs?: number): void {
  const responses = hit.status < 300 && isResponsesCreate(ctx, ex.method, path);
  const target = hit.status < 300 ? (deploymentOperation(path) ?? (responses ? { deployment: '', operation: 'responses' as const } : undefined)) : undefined;
  if (target?.operation) {
    // The metrics' labels (the meter bounds the deployment name).
    ex.deployment = target.deployment;
    ex.operation = target.operation;
  }
  if (!target?.operation) return replay(ctx, ex, hit, undefined, targetMs);
  let request: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (isObject(parsed)) request = parsed;
  } catch {
    // not JSON (multipart audio): the cost rules then give 0, the request rule still applies
  }
  // The Responses API is not deployment-scoped: its deployment is the body's `model`.
  const deployment = responses && typeof request.model === 'string' ? request.model : target.deployment;
  const limiter = ex.config.limiters.get(deployment);
  if (!limiter) return replay(ctx, ex, hit, undefined, targetMs);
  const charged = charge(limiter, requestCost(target.operation, request), target.operation, ex.query);
  const then = (c: Charged): void => (c.allowed ? replay(ctx, ex, hit, c.headers, targetMs) : sendError(ex, c.error));
  // A shared store (Redis) decides asynchronously; the embedded windows never do.
  if (charged instanceof Promise) return void charged.then(guard(ctx.log, ex, then), (err: unknown) => fault(ctx.log, ex, err));
  then(charged);
}

const isResponsesCreate = (ctx: ThreadContext, method: string, path: string): boolean => {
  if (method !== 'POST' || !path.endsWith('/responses')) return false;
  const found = ctx.router.match('POST', path);
  return found.kind === 'match' && found.match.route.kind === 'api' && found.match.route.operation === 'responses';
};

function storedResponseRoute(ctx: ThreadContext, method: string, path: string): { route: StoredResponseRoute; params: Readonly<Record<string, string>> } | undefined {
  if (!path.includes('/responses/')) return undefined;
  const found = ctx.router.match(method, path);
  return found.kind === 'match' && found.match.route.kind === 'stored-response' ? { route: found.match.route, params: found.match.params } : undefined;
}

/** A replayed `POST …/responses` goes into the store first (as the service stores it), then is replayed. */
function storeReplayed(ctx: ThreadContext, ex: Exchange, entry: ReplayEntry, request: KeyedRequest, next: () => void): void {
  if (entry.status >= 300 || !isResponsesCreate(ctx, request.method, request.path) || typeof entry.body !== 'string') return next();
  const body = request.body.toString('utf8');
  let model = '';
  try {
    const parsed: unknown = JSON.parse(body);
    if (isObject(parsed) && typeof parsed.model === 'string') model = parsed.model;
  } catch {
    // not JSON: stored without its deployment
  }
  const record = storedFromRecorded(body, entry.body, model, Date.now(), ctx.settings.responses.ttlSeconds);
  if (!record) return next();
  // Guard point: the store's promise. A store that does not answer costs the listing, not the replay.
  ctx.responses.put(encodeRecord(record)).then(guard(ctx.log, ex, next), guard(ctx.log, ex, next));
}

/**
 * `limitHeaders`: the deployment's current x-ratelimit values, which replace the recorded ones
 * (a recording's remaining budget says nothing about now).
 */
export function replay(ctx: Pick<ThreadContext, 'scheduler' | 'log'>, ex: Exchange, entry: ReplayEntry, limitHeaders?: Readonly<Record<string, string>>, targetMs?: number): void {
  const scheduler: Scheduler = ctx.scheduler;
  const headers = limitHeaders
    ? [...entry.headers.filter(([name]) => !name.startsWith('x-ratelimit-')), ...Object.entries(limitHeaders)]
    : entry.headers;
  ex.ready();
  const { events } = entry;
  let { offsetsMs } = entry;
  // An extension's latency hook may set another duration: a stream's offsets scale with it.
  if (targetMs !== undefined && offsetsMs) {
    const f = entry.durationMs > 0 ? targetMs / entry.durationMs : 0;
    offsetsMs = offsetsMs.map((o) => (f > 0 ? o * f : targetMs));
  }
  if (!events || !offsetsMs) {
    const due = ex.startedAt + (targetMs ?? entry.durationMs);
    // Already due (a fast recording, or timing turned off): no trip through the timer.
    if (due <= scheduler.now() + 1) return ex.sink.whole(ex, entry.status, undefined, entry.body, headers);
    scheduler.at(due, guard(ctx.log, ex, () => ex.sink.whole(ex, entry.status, undefined, entry.body, headers)));
    return;
  }
  let next = 0;
  const step = guard(ctx.log, ex, (): void => {
    if (ex.state === 'aborted') return;
    // The headers go with the first event, as the service sends them when its first token is ready.
    if (ex.state === 'open' && !ex.sink.start(ex, entry.status, undefined, headers)) return;
    // Everything already due goes out in one write.
    const elapsed = scheduler.now() + 1 - ex.startedAt;
    let due = '';
    while (next < events.length && offsetsMs[next]! <= elapsed) due += events[next++];
    if (due !== '') ex.sink.data(ex, due);
    if (next >= events.length) return ex.sink.end(ex);
    scheduler.at(ex.startedAt + offsetsMs[next]!, step);
  });
  scheduler.at(ex.startedAt + (offsetsMs[0] ?? 0), step);
}
