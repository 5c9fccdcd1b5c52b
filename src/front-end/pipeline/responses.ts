/**
 * The Responses API's producers. Creating one: parse → deployment (target.ts) → validate →
 * the fault step (faults.ts; an injected error answers here, uncharged) → the previous response, if one is continued (a question to the store) → generate (core) →
 * charge → store (the client's answer comes once any thread would find it: at once in the
 * embedded store, which keeps it in this thread; after Redis' answer in a shared one) → pace and write,
 * as chat. A background response answers `queued` at once; its stored record carries the
 * timeline along which `GET` sees it move to in_progress and completed.
 * The stored-response routes (`GET`, `DELETE`, `input_items`, `cancel`) read and write the store.
 */
import { errors, ApiErrorResponse, type ApiError } from '../../core/errors.js';
import { pace } from '../../core/latency.js';
import { charge, type Charged } from '../../core/limits/charge.js';
import { generateResponse, type Made } from '../../core/responses/generate.js';
import { validateResponses, type ResponsesRequest } from '../../core/responses/request.js';
import { encodeRecord, inputItemsPage, pageQuery, responseAt, type StoredResponse } from '../../core/responses/store.js';
import type { StoredResponseRoute } from '../../core/wire/routes.js';
import type { ThreadContext } from '../context.js';
import type { Exchange } from '../http/exchange.js';
import { fault, guard } from '../http/fault.js';
import { sendError, sendJson } from '../http/respond.js';
import { faultStep } from './faults.js';
import { write } from './pace.js';
import { parseJsonBody, resolveTarget, type ApiRoute, type Target } from './target.js';

/** 404 for an id the store does not have (unknown, deleted, expired, or created with `store: false`). */
export const responseNotFound = (id: string): ApiError => ({
  status: 404,
  code: null,
  type: 'invalid_request_error',
  param: null,
  message: `Response with id '${id}' not found.`,
});

const previousNotFound = (id: string): ApiError => ({
  status: 400,
  code: 'previous_response_not_found',
  type: 'invalid_request_error',
  param: 'previous_response_id',
  message: `Previous response with id '${id}' not found.`,
});

const notBackground = (): ApiError => ({
  status: 400,
  code: null,
  type: 'invalid_request_error',
  param: null,
  message: 'Only responses created with background=true can be cancelled.',
});

/** The store did not answer (main stuck or gone, Redis late or gone): 503, as any unanswered question between threads. */
const storeFailed = (ex: Exchange, err: unknown): void => sendError(ex, errors.unavailable((err as Error)?.message ?? String(err)));

export function produceResponse(ctx: ThreadContext, ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, text: string): void {
  const body = parseJsonBody(ex, text);
  if (!body) return;
  const target = resolveTarget(ex, route, params, body);
  if (!target) return;
  let req: ResponsesRequest;
  try {
    req = validateResponses(body);
  } catch (err) {
    if (err instanceof ApiErrorResponse) return sendError(ex, err.apiError);
    throw err;
  }
  // The fault step (faults.ts), as chat's: one field tested when no fault is configured anywhere.
  const faults = ex.config.faults;
  if (faults !== null) return faultStep(ctx, ex, faults, target.found.name, 'responses', req.stream, () => continued(ctx, ex, req, target));
  continued(ctx, ex, req, target);
}

/** The previous response, when one is continued, then the new one. */
function continued(ctx: ThreadContext, ex: Exchange, req: ResponsesRequest, target: Target): void {
  const previousId = req.previousResponseId;
  if (previousId === undefined) return create(ctx, ex, req, target, undefined);
  // Guard point: the store's promise.
  ctx.responses.get(previousId).then(
    guard(ctx.log, ex, (previous: StoredResponse | undefined) => (previous ? create(ctx, ex, req, target, previous) : sendError(ex, previousNotFound(previousId)))),
    (err: unknown) => storeFailed(ex, err),
  );
}

function create(ctx: ThreadContext, ex: Exchange, req: ResponsesRequest, target: Target, previous: StoredResponse | undefined): void {
  const now = Date.now();
  const { latency } = ex.config.runtime;
  const settings = ctx.settings.responses;
  let made: Made;
  try {
    // A background response's timeline: queued until the first token would be ready, done when the last would be.
    made = generateResponse(req, target.found, ex.config.generateOptions, settings, previous, now, undefined, ctx.responses.newId());
    if (req.background) {
      const timing = pace(latency, 'responses', made.answer.kind === 'error' ? { promptTokens: 0, completionTokens: 0 } : made.answer);
      const record = made.record!;
      const elapsed = ctx.scheduler.now() - ex.startedAt;
      made = {
        ...made,
        record: ({ ...record, startsAt: now + Math.max(0, timing.firstTokenMs - timing.perTokenMs - elapsed), completesAt: now + Math.max(0, timing.totalMs - elapsed) }),
      };
    }
  } catch (err) {
    if (err instanceof ApiErrorResponse) return sendError(ex, err.apiError);
    throw err;
  }
  const { answer } = made;
  if (answer.kind === 'error') return sendError(ex, answer.error);
  if (!target.limiter) return charged(ctx, ex, req, answer, made, undefined);
  const result = charge(target.limiter, target.cost, 'responses', ex.query);
  // A shared store (Redis) decides asynchronously; the embedded windows never do.
  if (result instanceof Promise) return void result.then(guard(ctx.log, ex, (c: Charged) => charged(ctx, ex, req, answer, made, c)), (err: unknown) => fault(ctx.log, ex, err));
  charged(ctx, ex, req, answer, made, result);
}

function charged(ctx: ThreadContext, ex: Exchange, req: ResponsesRequest, answer: Exclude<Made['answer'], { kind: 'error' }>, { record, responseJson }: Made, c: Charged | undefined): void {
  if (c && !c.allowed) return sendError(ex, c.error);
  const headers = c?.headers;
  // A background response is answered at once (queued); the others after their latency.
  const send = (): void => (req.background && answer.kind === 'json' ? ex.sink.whole(ex, 200, 'application/json', answer.body, headers) : write(ctx, ex, answer, headers, 'responses'));
  // A response a fault changes (cut, failed, filtered, delayed) is not stored: the client never saw it complete.
  if (!record || ex.fault !== undefined) return send();
  // Guard point: the store's promise.
  ctx.responses.put(encodeRecord(record, responseJson)).then(guard(ctx.log, ex, send), (err: unknown) => storeFailed(ex, err));
}

/** `GET`, `DELETE …/responses/{id}`, `GET …/input_items`, `POST …/cancel`. */
export function answerStored(ctx: ThreadContext, ex: Exchange, route: StoredResponseRoute, params: Readonly<Record<string, string>>): void {
  const id = params.id ?? '';
  const store = ctx.responses;
  const fail = (err: unknown): void => storeFailed(ex, err);
  if (route.action === 'delete') {
    store.delete(id).then(guard(ctx.log, ex, (deleted: boolean) => (deleted ? sendJson(ex, 200, JSON.stringify({ id, object: 'response.deleted', deleted: true })) : sendError(ex, responseNotFound(id)))), fail);
    return;
  }
  const page = route.action === 'input-items' ? pageQuery(ex.query) : undefined;
  if (page && 'message' in page) return sendError(ex, errors.invalidValue(page.param, page.message.replace(/^Invalid '[^']+': /, '')));
  store.get(id).then(
    guard(ctx.log, ex, (record: StoredResponse | undefined) => {
      if (!record) return sendError(ex, responseNotFound(id));
      const now = Date.now();
      if (route.action === 'retrieve') return sendJson(ex, 200, JSON.stringify(responseAt(record, now)));
      if (route.action === 'input-items') return sendJson(ex, 200, JSON.stringify(inputItemsPage(record.inputItems, page as Exclude<typeof page, undefined | { message: string }>)));
      // cancel
      if (record.response.background !== true) return sendError(ex, notBackground());
      if (now >= record.completesAt || record.cancelledAt !== undefined) return sendJson(ex, 200, JSON.stringify(responseAt(record, now)));
      const cancelled = ({ ...record, cancelledAt: now });
      store.put(encodeRecord(cancelled)).then(guard(ctx.log, ex, () => sendJson(ex, 200, JSON.stringify(responseAt(cancelled, now)))), fail);
    }),
    fail,
  );
}
