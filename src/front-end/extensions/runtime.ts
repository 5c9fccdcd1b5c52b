/**
 * An extension inside a front-end thread: its hooks, generator and forwarder chains and limiters,
 * the guards around every call into it, the response-hook decorator of the sink, and the freeze
 * that ends registration when `initialize` returns (the `api` object is built in api-object.ts
 * over a narrow `Registry`, the request model in request.ts). A throw, a rejected promise or a
 * malformed answer becomes ExtensionFailure (a 500 in the AOAI envelope naming the extension) —
 * never an exception escaping a uWS callback, which would end the thread.
 */
import type {
  ExtensionApi,
  ExtensionModule,
  Forwarder,
  Generator,
  LatencyHook,
  LatencyTarget,
  Limiter,
  RequestHook,
  ResponseHook,
  SimResponse,
} from '../../extension-api.js';
import { API_VERSION } from '../../extension-api.js';
import { HandlerChain } from './chain.js';
import { errors, ExtensionFailure } from '../../core/errors.js';
import type { Pace } from '../../core/latency.js';
import type { Operation } from '../../core/models.js';
import type { Stages, ThreadContext } from '../context.js';
import { errorDraft, type Exchange, type HeaderList, type HeaderRecord, type ResponseDraft, type ResponseSink } from '../http/exchange.js';
import { buildApi, deploymentLimiter, type Registry } from './api-object.js';
import { ExtensionRequest } from './request.js';

/** What a built-in chain link hands back: "run the simulator's own handler for this". */
export const BUILT_IN = Symbol('built-in');
export type BuiltIn = typeof BUILT_IN;

type MaybePromise<T> = T | Promise<T>;


const BUILT_IN_GENERATORS: readonly Operation[] = ['chat', 'completions', 'embeddings', 'transcriptions', 'translations', 'images', 'responses'];

/** A generator link that stands for the simulator's own generator of one operation. */
const builtInGenerator = (operation: Operation): Generator =>
  ((request: ExtensionRequest) => (request.route?.operation === operation ? BUILT_IN : undefined)) as unknown as Generator;

/** Headers as response hooks see them: one map, lower-case names (repeated names joined). */
function headerMap(type: string | undefined, headers: HeaderRecord | HeaderList | undefined): Record<string, string> {
  const map: Record<string, string> = type === undefined ? {} : { 'content-type': type };
  if (Array.isArray(headers)) for (const [name, value] of headers as HeaderList) map[name] = name in map ? `${map[name]}, ${value}` : value;
  else if (headers) Object.assign(map, headers);
  return map;
}

/**
 * The response hooks as a decorator around the exchange's sink (undici's DecoratorHandler): a
 * whole answer or a stream's head is shown to the hooks as one draft, then written as they left
 * it; a hook that sets a body on a stream's head answers whole instead. Body parts pass through.
 */
class HookedSink implements ResponseSink {
  constructor(
    readonly request: ExtensionRequest,
    readonly runtime: ExtensionRuntime,
    readonly inner: ResponseSink,
  ) {}

  whole(ex: Exchange, status: number, type: string | undefined, body: string | Uint8Array, headers?: HeaderRecord | HeaderList, closeConnection?: boolean): void {
    if (ex.state !== 'open') return;
    const final = this.runtime.intercept(ex, this.request, { status, headers: headerMap(type, headers), body });
    this.inner.whole(ex, final.status, undefined, final.body ?? '', Object.entries(final.headers), closeConnection);
  }

  start(ex: Exchange, status: number, type: string | undefined, headers?: HeaderRecord | HeaderList): boolean {
    if (ex.state !== 'open') return false;
    const final = this.runtime.intercept(ex, this.request, { status, headers: headerMap(type, headers), streamed: true });
    if (final.body !== undefined) {
      this.inner.whole(ex, final.status, undefined, final.body, Object.entries(final.headers));
      return false;
    }
    return this.inner.start(ex, final.status, undefined, Object.entries(final.headers));
  }

  data(ex: Exchange, chunk: string | Uint8Array): boolean {
    return this.inner.data(ex, chunk);
  }

  end(ex: Exchange): void {
    this.inner.end(ex);
  }

  abandon(ex: Exchange): void {
    this.inner.abandon(ex);
  }
}

export class ExtensionRuntime implements Registry {
  readonly requestHooks: RequestHook[] = [];
  readonly responseHooks: ResponseHook[] = [];
  readonly latencyHooks: LatencyHook[] = [];
  readonly generators = new HandlerChain<Generator>('generator', BUILT_IN_GENERATORS.map((op) => [op, builtInGenerator(op)] as const));
  readonly forwarders = new HandlerChain<Forwarder>('forwarder', [['openai', (() => BUILT_IN) as unknown as Forwarder]]);
  readonly limiters = new Map<string, Limiter>();
  readonly api: ExtensionApi;
  #open = true;
  /**
   * Whether natively routed requests can take the plain pipeline, with the response hooks attached
   * to their writes: nothing registered can change how they are routed or answered before that
   * (no request hooks, the built-in generators as they are, generate mode). Fixed by `freeze`.
   */
  #routesAsBuiltIn = false;

  constructor(
    readonly name: string,
    readonly ctx: ThreadContext,
  ) {
    this.limiters.set('openai', deploymentLimiter(ctx));
    this.limiters.set('none', (_request, response) => response);
    this.api = buildApi(this, ctx);
  }

  /** Registration is open while `initialize` runs, and closed for good afterwards. */
  get open(): boolean {
    return this.#open;
  }

  freeze(): void {
    this.#open = false;
    const links = this.generators.links;
    this.#routesAsBuiltIn = this.ctx.settings.mode === 'generate' && this.requestHooks.length === 0 && links.length === BUILT_IN_GENERATORS.length && links.every((l) => l.builtIn);
  }

  get routesAsBuiltIn(): boolean {
    return this.#routesAsBuiltIn;
  }

  /** The pipeline's slots this extension fills (after `freeze`): null where it registered nothing. */
  stages(): Stages {
    return { latency: this.latencyHooks.length > 0 ? (ex, timing, operation, streamed) => this.retime(ex, timing, operation, streamed) : null };
  }

  /** The request model for an exchange; `headers`: every header (uWS' request, read while valid). */
  request(ex: Exchange, headers: Record<string, string>): ExtensionRequest {
    return new ExtensionRequest(ex.requestId, ex.method, ex.path, ex.query, headers, this.ctx.settings.mode, ex.config);
  }

  /** The exchange's sink as this extension writes it: wrapped by the response hooks when there are any. */
  sink(request: ExtensionRequest, inner: ResponseSink): ResponseSink {
    return new HookedSink(request, this, inner);
  }

  /** A built-in answer's timing after the latency hooks: a stream's events keep their proportions. */
  retime(ex: Exchange, timing: Pace, operation: Operation | undefined, streamed: boolean): Pace {
    const hooked = ex.sink;
    if (!(hooked instanceof HookedSink)) return timing;
    const request = hooked.request;
    const ms = this.latency(request, { ms: timing.totalMs, operation, streamed });
    if (ms === timing.totalMs) return timing;
    if (timing.totalMs <= 0) return { totalMs: ms, firstTokenMs: ms, perTokenMs: 0 };
    const f = ms / timing.totalMs;
    return { totalMs: ms, firstTokenMs: timing.firstTokenMs * f, perTokenMs: timing.perTokenMs * f };
  }

  // ---- guarded calls ------------------------------------------------------------------------

  /** The failure to answer with; the cause's stack goes to the log once, here. */
  fail(what: string, err: unknown, requestId?: string): ExtensionFailure {
    if (err instanceof ExtensionFailure) return err;
    const detail = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    this.ctx.log.error(`extension ${this.name} failed${requestId ? ` (request ${requestId})` : ''}: ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return new ExtensionFailure(errors.extensionFailed(this.name, detail), detail);
  }

  /**
   * Calls handlers in order until one returns something (not undefined). Synchronous handlers
   * stay synchronous: `done` runs in the same tick unless a handler returned a promise.
   */
  series<H, R>(
    handlers: readonly H[],
    call: (handler: H, index: number) => MaybePromise<R | undefined | void>,
    done: (result: R | undefined, index: number) => void,
    fail: (err: unknown, index: number) => void,
    from = 0,
  ): void {
    for (let i = from; i < handlers.length; i++) {
      let result: MaybePromise<R | undefined | void>;
      try {
        result = call(handlers[i]!, i);
      } catch (err) {
        return fail(err, i);
      }
      if (isPromise(result)) {
        result.then(
          (value) => {
            if (value !== undefined) return done(value as R, i);
            this.series(handlers, call, done, fail, i + 1);
          },
          (err: unknown) => fail(err, i),
        );
        return;
      }
      if (result !== undefined) return done(result as R, i);
    }
    done(undefined, -1);
  }

  /** A handler's answer, checked; garbage is the extension's failure, with what was wrong. */
  checkResponse(value: unknown, what: string, requestId: string): SimResponse {
    const problem = responseProblem(value);
    if (problem) throw this.fail(what, new Error(`returned garbage: ${problem}`), requestId);
    const response = value as SimResponse;
    const { status, headers, body } = draftOf(response);
    if (body !== undefined && body.length > 0 && !('content-type' in headers)) headers['content-type'] = 'application/json';
    return { status, headers, body, latencyMs: response.latencyMs, limiter: response.limiter, streamed: response.streamed === true };
  }

  /** Applies the limiter a response names. */
  /** A promise only when a built-in limiter charged a shared store (Redis). */
  limit(request: ExtensionRequest, response: SimResponse): SimResponse | Promise<SimResponse> {
    if (response.limiter === undefined) return response;
    const limiter = this.limiters.get(response.limiter);
    if (!limiter) throw this.fail(`limiter "${response.limiter}"`, new Error(`no such limiter (defined: ${[...this.limiters.keys()].join(', ')})`), request.id);
    let limited: unknown;
    try {
      limited = limiter(request, response);
    } catch (err) {
      throw this.fail(`limiter "${response.limiter}"`, err, request.id);
    }
    const checked = (value: unknown): SimResponse => (value === response ? response : this.checkResponse(value, `limiter "${response.limiter}"`, request.id));
    if (limited instanceof Promise) return limited.then(checked);
    return checked(limited);
  }

  /** The target duration after the latency hooks (ms from the request's arrival). */
  latency(request: ExtensionRequest, target: LatencyTarget): number {
    let ms = target.ms;
    for (const hook of this.latencyHooks) {
      let next: unknown;
      try {
        next = hook(request, { ...target, ms });
      } catch (err) {
        throw this.fail('latency hook', err, request.id);
      }
      if (next === undefined) continue;
      if (typeof next !== 'number' || !Number.isFinite(next) || next < 0) {
        throw this.fail('latency hook', new Error(`returned garbage: expected a number of milliseconds ≥ 0, got ${describe(next)}`), request.id);
      }
      ms = next;
    }
    return ms;
  }

  /** Runs the response hooks over a draft; a hook's headers are checked and made strings (`draftOf`). */
  intercept(ex: Exchange, request: ExtensionRequest, draft: ResponseDraft): ResponseDraft {
    let current = draft;
    for (const hook of this.responseHooks) {
      try {
        const result: unknown = hook(request, current as SimResponse);
        if (isPromise(result)) {
          result.catch(() => {}); // its outcome is too late to use
          throw new Error('response hooks must be synchronous (it returned a promise)');
        }
        const next = result === undefined ? current : result;
        const problem = responseProblem(next);
        if (problem) throw new Error(`returned garbage: ${problem}`);
        current = { ...draftOf(next as SimResponse), streamed: draft.streamed };
      } catch (err) {
        // The failure is answered as it is: the hooks that just failed do not see it.
        const failure = this.fail('response hook', err, ex.requestId);
        return errorDraft(failure.apiError);
      }
    }
    return current;
  }

}

const isPromise = (value: unknown): value is Promise<unknown> => typeof (value as Promise<unknown> | undefined)?.then === 'function';

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`);

/** What is wrong with a value offered as a response, or undefined when nothing is. */
function responseProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `expected a response object {status, headers, body}, got ${describe(value)}`;
  const r = value as Record<string, unknown>;
  if (typeof r.status !== 'number' || !Number.isInteger(r.status) || r.status < 100 || r.status > 599) return `status must be a whole number from 100 to 599, got ${describe(r.status)}`;
  if (r.headers !== undefined && (typeof r.headers !== 'object' || r.headers === null || Array.isArray(r.headers))) return `headers must be an object of strings, got ${describe(r.headers)}`;
  for (const [name, v] of Object.entries((r.headers ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string' && typeof v !== 'number') return `header "${name}" must be a string, got ${describe(v)}`;
  }
  if (r.body !== undefined && typeof r.body !== 'string' && !(r.body instanceof Uint8Array)) return `body must be a string or bytes, got ${describe(r.body)}`;
  if (r.latencyMs !== undefined && (typeof r.latencyMs !== 'number' || !(r.latencyMs >= 0))) return `latencyMs must be a number ≥ 0, got ${describe(r.latencyMs)}`;
  if (r.limiter !== undefined && typeof r.limiter !== 'string') return `limiter must be a limiter's name, got ${describe(r.limiter)}`;
  return undefined;
}

/**
 * The one rule for headers an extension hands back (handlers, limiters, response hooks): names
 * lower-cased, values made strings (uWS writes only strings and bytes). `value` passed
 * `responseProblem`.
 */
function draftOf(response: SimResponse): { status: number; headers: Record<string, string>; body: string | Uint8Array | undefined } {
  const headers: Record<string, string> = {};
  for (const [name, v] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(v);
  return { status: response.status, headers, body: response.body };
}

/** The function `initialize` of a loaded module, checked against the API version it declares. */
export function initializerOf(module: ExtensionModule, name: string): (api: ExtensionApi) => unknown {
  if (module.apiVersion !== undefined && module.apiVersion !== API_VERSION) {
    throw new Error(`it needs extension API version ${String(module.apiVersion)}, but this simulator has version ${API_VERSION}`);
  }
  const fallback = module.default;
  const init = module.initialize ?? (typeof fallback === 'function' ? fallback : fallback?.initialize);
  if (typeof init !== 'function') throw new Error(`${name} exports no initialize(api) function (nor a default export)`);
  return init;
}


/** Imports the prepared module and runs its `initialize`; the error says which of the two failed. */
export async function loadExtension(url: string, name: string, ctx: ThreadContext): Promise<ExtensionRuntime> {
  let module: ExtensionModule;
  try {
    module = (await import(url)) as ExtensionModule;
  } catch (err) {
    throw new Error(`loading it failed: ${(err as Error)?.message ?? String(err)}`);
  }
  const initialize = initializerOf(module, name);
  const runtime = new ExtensionRuntime(name, ctx);
  try {
    await initialize(runtime.api);
  } catch (err) {
    throw new Error(`initialize(api) failed: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    // What a request sees is fixed now: the routes, the stage slots, the chains.
    runtime.freeze();
  }
  return runtime;
}
