/**
 * An extension inside a front-end thread: its hooks, generator and forwarder chains and limiters,
 * the `api` object it is initialised with, and the guards around every call into it. A throw, a
 * rejected promise or a malformed answer becomes ExtensionFailure (a 500 in the AOAI envelope
 * naming the extension) — never an exception escaping a uWS callback, which would end the thread.
 */
import type { MessagePort } from 'node:worker_threads';
import type {
  Deployment as PublicDeployment,
  ExtensionApi,
  ExtensionModule,
  Forwarder,
  Generator,
  LatencyHook,
  LatencyTarget,
  Limiter,
  Mode,
  RequestHook,
  ResponseHook,
  SimRequest,
  SimResponse,
} from '../extension-api.js';
import { API_VERSION } from '../extension-api.js';
import { HandlerChain } from '../core/chain.js';
import type { DeploymentRegistry } from '../core/deployments.js';
import { errorBody, errors, ExtensionFailure, type ApiError } from '../core/errors.js';
import { corpusFor } from '../core/lorem.js';
import type { Pace } from '../core/latency.js';
import { deploymentOperation, requestCost, type DeploymentLimiter } from '../core/rate-limits.js';
import { isObject } from '../core/requests.js';
import type { EncodingName, Operation } from '../core/models.js';
import { compilePathPattern } from '../core/route-pattern.js';
import { allocateWindow, RequestWindow } from '../core/sliding-window.js';
import { getEncoding } from '../core/tokenizer.js';
import { constantTimeEqual, type ApiKeyAuth } from './auth.js';
import type { Exchange, RequestHeaders, ResponseDraft, ResponseInterceptor } from './exchange.js';
import type { Log } from './log.js';
import { sharedWindow } from './shared-windows.js';

/** What a built-in chain link hands back: "run the simulator's own handler for this". */
export const BUILT_IN = Symbol('built-in');
export type BuiltIn = typeof BUILT_IN;

type MaybePromise<T> = T | Promise<T>;

/** The request model, built when the exchange starts (uWS' request is only valid until then). */
export class ExtensionRequest implements SimRequest {
  body: Buffer = EMPTY;
  readonly values = new Map<string, unknown>();
  /** Set once the simulator's API key was checked (AOAI paths are checked before the hooks). */
  authenticated = false;
  /** The built-in route the request matches (after the request hooks), if any. */
  route: { readonly operation: Operation } | undefined;
  #text: string | undefined;
  #textOf: Buffer | undefined;

  constructor(
    readonly id: string,
    public method: string,
    public path: string,
    public query: string,
    public headers: Record<string, string>,
    readonly mode: Mode,
  ) {}

  text(): string {
    if (this.#textOf !== this.body) {
      this.#text = this.body.toString('utf8');
      this.#textOf = this.body;
    }
    return this.#text!;
  }

  json(): unknown {
    try {
      return JSON.parse(this.text());
    } catch {
      return undefined;
    }
  }

  get searchParams(): URLSearchParams {
    return new URLSearchParams(this.query);
  }

  /** The four headers the built-in code reads, from the (possibly rewritten) header map. */
  get requestHeaders(): RequestHeaders {
    const h = this.headers;
    return { apiKey: h['api-key'] ?? '', authorization: h.authorization ?? '', contentType: h['content-type'] ?? '', contentLength: h['content-length'] ?? '' };
  }
}

const EMPTY = Buffer.alloc(0);

export interface RuntimeContext {
  readonly mode: Mode;
  readonly apiKey: string;
  readonly auth: ApiKeyAuth;
  readonly log: Log;
  /** The deployments now (`PATCH /++/config` replaces them). */
  readonly deployments: () => DeploymentRegistry;
  /** The built-in `openai` limiter. */
  readonly deploymentLimiter: Limiter;
  /** Asks the main thread for a window shared by every thread (see shared-windows.ts). */
  readonly windowPort: MessagePort | undefined;
}

const BUILT_IN_GENERATORS: readonly Operation[] = ['chat', 'completions', 'embeddings', 'transcriptions', 'translations'];

/** A generator link that stands for the simulator's own generator of one operation. */
const builtInGenerator = (operation: Operation): Generator =>
  ((request: ExtensionRequest) => (request.route?.operation === operation ? BUILT_IN : undefined)) as unknown as Generator;

export class ExtensionRuntime {
  readonly requestHooks: RequestHook[] = [];
  readonly responseHooks: ResponseHook[] = [];
  readonly latencyHooks: LatencyHook[] = [];
  readonly generators = new HandlerChain<Generator>('generator', BUILT_IN_GENERATORS.map((op) => [op, builtInGenerator(op)] as const));
  readonly forwarders = new HandlerChain<Forwarder>('forwarder', [['openai', (() => BUILT_IN) as unknown as Forwarder]]);
  readonly limiters = new Map<string, Limiter>();
  readonly api: ExtensionApi;

  constructor(
    readonly name: string,
    private readonly context: RuntimeContext,
  ) {
    this.limiters.set('openai', context.deploymentLimiter);
    this.limiters.set('none', (_request, response) => response);
    this.api = this.#makeApi();
  }

  /** The request model for an exchange; `all`: every header (uWS' request, read while valid). */
  request(ex: Exchange, headers: Record<string, string>): ExtensionRequest {
    return new ExtensionRequest(ex.requestId, ex.method, ex.path, ex.query, headers, this.context.mode);
  }

  /** The response hooks' side of an exchange (every write goes through it). */
  interceptor(request: ExtensionRequest): ResponseInterceptor {
    return { request, intercept: (ex, draft) => this.#intercept(ex, request, draft) };
  }

  /** A built-in answer's timing after the latency hooks: a stream's events keep their proportions. */
  retime(ex: Exchange, timing: Pace, operation: Operation | undefined, streamed: boolean): Pace {
    const request = ex.interceptor!.request as ExtensionRequest;
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
    this.context.log.error(`extension ${this.name} failed${requestId ? ` (request ${requestId})` : ''}: ${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
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
    const headers: Record<string, string> = {};
    for (const [name, v] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = String(v);
    if (response.body !== undefined && response.body.length > 0 && !('content-type' in headers)) headers['content-type'] = 'application/json';
    return { status: response.status, headers, body: response.body, latencyMs: response.latencyMs, limiter: response.limiter, streamed: response.streamed === true };
  }

  /** Applies the limiter a response names. */
  limit(request: ExtensionRequest, response: SimResponse): SimResponse {
    if (response.limiter === undefined) return response;
    const limiter = this.limiters.get(response.limiter);
    if (!limiter) throw this.fail(`limiter "${response.limiter}"`, new Error(`no such limiter (defined: ${[...this.limiters.keys()].join(', ')})`), request.id);
    let limited: unknown;
    try {
      limited = limiter(request, response);
    } catch (err) {
      throw this.fail(`limiter "${response.limiter}"`, err, request.id);
    }
    return limited === response ? response : this.checkResponse(limited, `limiter "${response.limiter}"`, request.id);
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

  #intercept(ex: Exchange, request: ExtensionRequest, draft: ResponseDraft): ResponseDraft {
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
        const checked = next as ResponseDraft;
        current = { status: checked.status, headers: checked.headers ?? {}, body: checked.body, streamed: draft.streamed };
      } catch (err) {
        // The failure is answered as it is: the hooks that just failed do not see it.
        const failure = this.fail('response hook', err, ex.requestId);
        return errorDraft(failure.apiError);
      }
    }
    return current;
  }

  // ---- the api object --------------------------------------------------------------------

  #makeApi(): ExtensionApi {
    const { context } = this;
    const name = this.name;
    const prefix = `extension ${name}: `;
    const chainApi = <H>(chain: HandlerChain<H>) => ({
      add: (handler: H, placement?: { name?: string; before?: string; after?: string }) => chain.add(handler, placement),
      replace: (n: string, handler: H) => chain.replace(n, handler),
      remove: (n: string) => chain.remove(n),
      names: () => chain.names(),
    });
    const toResponse = (error: ApiError): SimResponse => ({ status: error.status, headers: { 'content-type': 'application/json', ...error.headers }, body: errorBody(error) });
    const encodingOf = (encoding = 'cl100k_base'): EncodingName => {
      if (encoding !== 'cl100k_base' && encoding !== 'o200k_base') throw new Error(`unknown encoding "${encoding}" (cl100k_base or o200k_base)`);
      return encoding;
    };
    const tooManyRequests = (seconds: number, message?: string): SimResponse =>
      toResponse({
        status: 429,
        code: '429',
        type: null,
        param: null,
        message: message ?? `Requests have exceeded the call rate limit. Please retry after ${seconds} seconds.`,
        headers: { 'retry-after': String(seconds), 'x-ratelimit-reset-requests': String(seconds) },
      });
    const addTo = <H>(list: H[], kind: string) => ({
      add: (hook: H) => {
        if (typeof hook !== 'function') throw new Error(`${kind} must be a function, got ${typeof hook}`);
        list.push(hook);
      },
    });
    return Object.freeze({
      version: API_VERSION,
      mode: context.mode,
      name,
      log: {
        debug: (m: string) => context.log.debug(prefix + m),
        info: (m: string) => context.log.info(prefix + m),
        warn: (m: string) => context.log.warn(prefix + m),
        error: (m: string) => context.log.error(prefix + m),
      },
      requestHooks: addTo(this.requestHooks, 'a request hook'),
      responseHooks: addTo(this.responseHooks, 'a response hook'),
      latency: addTo(this.latencyHooks, 'a latency hook'),
      generators: chainApi(this.generators),
      forwarders: chainApi(this.forwarders),
      limiters: {
        define: (limiterName: string, limiter: Limiter) => {
          if (typeof limiter !== 'function') throw new Error(`limiter "${limiterName}" must be a function, got ${typeof limiter}`);
          this.limiters.set(limiterName, limiter);
        },
        get: (limiterName: string) => this.limiters.get(limiterName),
        requestsPerSecond: (windowName: string, n: number, options: { message?: string } = {}): Limiter => {
          if (!(Number.isInteger(n) && n >= 0)) throw new Error(`requestsPerSecond("${windowName}", n): n must be a whole number ≥ 0, got ${n}`);
          if (n === 0) return (_request, response) => response; // as the Python example: ≤ 0 is no limit
          const capacity = RequestWindow.capacityFor(n);
          const buffer = context.windowPort ? sharedWindow(context.windowPort, `${name}/${windowName}`, capacity) : allocateWindow(capacity, false);
          const window = new RequestWindow(buffer, n, 1);
          return (_request, response) => {
            const admission = window.add(Date.now() / 1000);
            if (admission.allowed) return response;
            const seconds = admission.reason === 'too-large' ? 1 : admission.retryAfterSeconds;
            return tooManyRequests(seconds, options.message?.replaceAll('{seconds}', String(seconds)));
          };
        },
      },
      route: (method: string, pattern: string) => {
        const matchPath = compilePathPattern(pattern);
        const wanted = method.toUpperCase();
        return (request: Pick<SimRequest, 'method' | 'path'>) => (request.method.toUpperCase() === wanted ? matchPath(request.path) : undefined);
      },
      isAuthorized: (request: SimRequest, options: { header?: string } = {}) => {
        const headers = request.headers;
        if (options.header) {
          const presented = headers[options.header.toLowerCase()] ?? '';
          return presented !== '' && constantTimeEqual(presented, context.apiKey);
        }
        return context.auth.check({ apiKey: headers['api-key'] ?? '', authorization: headers.authorization ?? '', contentType: '', contentLength: '' });
      },
      deployments: {
        get: (deploymentName: string): PublicDeployment | undefined => {
          const d = context.deployments().resolve(deploymentName, 'chat');
          return d && { name: d.name, model: d.model.name, encoding: d.model.encoding, tokensPerMinute: d.tokensPerMinute, requestsPerMinute: d.requestsPerMinute, embeddingSize: d.embeddingSize, undefinedDeployment: d.undefinedDeployment };
        },
      },
      lorem: (tokens: number, options: { encoding?: string } = {}) => corpusFor(getEncoding(encodingOf(options.encoding))).take(Math.max(0, Math.floor(tokens))).text,
      countTokens: (text: string, options: { encoding?: string } = {}) => getEncoding(encodingOf(options.encoding)).count(text),
      json: (status: number, value: unknown, headers: Record<string, string> = {}) => ({ status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) }),
      errorResponse: (status: number, code: string, message: string, headers: Record<string, string> = {}) => toResponse({ status, code, type: null, param: null, message, headers }),
      errors: {
        unauthorized: () => toResponse(errors.unauthorized()),
        notFound: () => toResponse(errors.routeNotFound()),
        deploymentNotFound: () => toResponse(errors.deploymentNotFound()),
        invalidValue: (param: string, detail: string) => toResponse(errors.invalidValue(param, detail)),
        tooManyRequests,
        internal: (detail: string) => toResponse(errors.internal(detail)),
      },
    });
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

export function errorDraft(error: ApiError): ResponseDraft {
  return { status: error.status, headers: { 'content-type': 'application/json', ...error.headers }, body: errorBody(error) };
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

/**
 * The built-in `openai` limiter for extension answers: the deployment the request addresses (the
 * path's, or the body's `model`) charged as a generated answer is, with AOAI's 429 on refusal.
 */
export function deploymentLimiter(limiters: () => ReadonlyMap<string, DeploymentLimiter>): Limiter {
  return (request, response) => {
    const target = deploymentOperation(request.path);
    const body = request.json();
    const fromBody = isObject(body) && typeof body.model === 'string' ? body.model : undefined;
    const deployment = target?.deployment ?? fromBody;
    const limiter = deployment === undefined ? undefined : limiters().get(deployment);
    if (!limiter) return response;
    const operation = target?.operation ?? 'chat';
    const cost = requestCost(operation, isObject(body) ? body : {});
    const admission = limiter.admit(cost);
    if (!admission.allowed) return errorResponse(limiter.rejection(admission, operation, request.searchParams.get('api-version') ?? '', cost));
    return { ...response, headers: { ...response.headers, ...limiter.successHeaders(admission) } };
  };
}

const errorResponse = (error: ApiError): SimResponse => ({ ...errorDraft(error) });

/** Imports the prepared module and runs its `initialize`; the error says which of the two failed. */
export async function loadExtension(url: string, name: string, context: RuntimeContext): Promise<ExtensionRuntime> {
  let module: ExtensionModule;
  try {
    module = (await import(url)) as ExtensionModule;
  } catch (err) {
    throw new Error(`loading it failed: ${(err as Error)?.message ?? String(err)}`);
  }
  const initialize = initializerOf(module, name);
  const runtime = new ExtensionRuntime(name, context);
  try {
    await initialize(runtime.api);
  } catch (err) {
    throw new Error(`initialize(api) failed: ${(err as Error)?.message ?? String(err)}`);
  }
  return runtime;
}
