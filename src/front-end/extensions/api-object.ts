/**
 * The `api` object an extension's `initialize` receives: registration of hooks, chains and
 * limiters on its runtime, and the helpers extensions need (lorem, token counts, AOAI error
 * envelopes, auth, deployments) so they never import the simulator's internal files.
 */
import type { Deployment as PublicDeployment, ExtensionApi, Forwarder, Generator, LatencyHook, Limiter, RequestHook, ResponseHook, SimRequest, SimResponse } from '../../extension-api.js';
import { API_VERSION } from '../../extension-api.js';
import type { HandlerChain } from './chain.js';
import { errors, type ApiError } from '../../core/errors.js';
import { corpusFor } from '../../core/generation/lorem.js';
import type { EncodingName } from '../../core/models.js';
import { charge, type Charged } from '../../core/limits/charge.js';
import { DEGRADED_HEADER, DeploymentLimiter, deploymentOperation, requestCost, type Decision } from '../../core/limits/rate-limits.js';
import { extensionWindowKey } from '../../core/limits/windows.js';
import { isObject } from '../../core/generation/requests.js';
import { compilePathPattern } from '../../core/wire/route-pattern.js';
import { allocateWindow, RequestWindow } from '../../core/limits/sliding-window.js';
import { getEncoding } from '../../core/tokens/tokenizer.js';
import { constantTimeEqual } from '../http/auth.js';
import { errorDraft } from '../http/exchange.js';
import type { ThreadContext } from '../context.js';
import { ExtensionRequest } from './request.js';
import { sharedWindow } from '../../protocol/shared-windows.js';

/** What `api` registers into: the runtime's lists and chains, open only while `initialize` runs. */
export interface Registry {
  readonly name: string;
  readonly open: boolean;
  readonly requestHooks: RequestHook[];
  readonly responseHooks: ResponseHook[];
  readonly latencyHooks: LatencyHook[];
  readonly generators: HandlerChain<Generator>;
  readonly forwarders: HandlerChain<Forwarder>;
  readonly limiters: Map<string, Limiter>;
}

/** An AOAI error envelope as a response an extension can return or change. */
const toResponse = (error: ApiError): SimResponse => ({ ...errorDraft(error) });

export function buildApi(runtime: Registry, context: ThreadContext): ExtensionApi {
  const name = runtime.name;
  const prefix = `extension ${name}: `;
  /** Registration after `initialize` returned would change requests already routed: refused. */
  const whileOpen = (what: string): void => {
    if (!runtime.open) throw new Error(`${what}: extensions register hooks, generators, forwarders and limiters only during initialize(api); registration is closed once it has returned`);
  };
  const chainApi = <H>(chain: HandlerChain<H>, kind: string) => ({
    add: (handler: H, placement?: { name?: string; before?: string; after?: string }) => (whileOpen(`api.${kind}.add`), chain.add(handler, placement)),
    replace: (n: string, handler: H) => (whileOpen(`api.${kind}.replace`), chain.replace(n, handler)),
    remove: (n: string) => (whileOpen(`api.${kind}.remove`), chain.remove(n)),
    names: () => chain.names(),
  });
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
  const addTo = <H>(list: H[], kind: string, at: string) => ({
    add: (hook: H) => {
      whileOpen(`api.${at}.add`);
      if (typeof hook !== 'function') throw new Error(`${kind} must be a function, got ${typeof hook}`);
      list.push(hook);
    },
  });
  return Object.freeze({
    version: API_VERSION,
    mode: context.settings.mode,
    name,
    log: {
      debug: (m: string) => context.log.debug(prefix + m),
      info: (m: string) => context.log.info(prefix + m),
      warn: (m: string) => context.log.warn(prefix + m),
      error: (m: string) => context.log.error(prefix + m),
    },
    requestHooks: addTo(runtime.requestHooks, 'a request hook', 'requestHooks'),
    responseHooks: addTo(runtime.responseHooks, 'a response hook', 'responseHooks'),
    latency: addTo(runtime.latencyHooks, 'a latency hook', 'latency'),
    generators: chainApi(runtime.generators, 'generators'),
    forwarders: chainApi(runtime.forwarders, 'forwarders'),
    limiters: {
      define: (limiterName: string, limiter: Limiter) => {
        whileOpen('api.limiters.define');
        if (typeof limiter !== 'function') throw new Error(`limiter "${limiterName}" must be a function, got ${typeof limiter}`);
        runtime.limiters.set(limiterName, limiter);
      },
      get: (limiterName: string) => runtime.limiters.get(limiterName),
      requestsPerSecond: (windowName: string, n: number, options: { message?: string } = {}): Limiter => {
        if (!(Number.isInteger(n) && n >= 0)) throw new Error(`requestsPerSecond("${windowName}", n): n must be a whole number ≥ 0, got ${n}`);
        if (n === 0) return (_request, response) => response; // as the Python example: ≤ 0 is no limit
        const capacity = RequestWindow.capacityFor(n);
        const buffer = context.windowPort ? sharedWindow(context.windowPort, `${name}/${windowName}`, capacity) : allocateWindow(capacity, false);
        // Several replicas on Redis: the window is charged there, as a deployment's (one budget for
        // every replica, the same fallback when Redis is gone); the memory is then the local fallback.
        const redis = context.remote ? context.settings.redis : undefined;
        const key = redis ? extensionWindowKey(redis.prefix, `${name}/${windowName}`, n) : undefined;
        const limiter = new DeploymentLimiter({ kind: 'requests', requestsPerMinute: n, windowSeconds: 1, buffer, key }, context.remote);
        const answer = (decision: Decision, response: SimResponse): SimResponse => {
          const degraded = 'degraded' in decision && decision.degraded === true;
          if (decision.allowed) return degraded ? { ...response, headers: { ...response.headers, [DEGRADED_HEADER]: 'degraded' } } : response;
          if (decision.reason === 'unavailable') return toResponse(limiter.rejection(decision, 'chat', '', 0));
          const seconds = decision.reason === 'too-large' ? 1 : decision.retryAfterSeconds;
          const refused = tooManyRequests(seconds, options.message?.replaceAll('{seconds}', String(seconds)));
          return degraded ? { ...refused, headers: { ...refused.headers, [DEGRADED_HEADER]: 'degraded' } } : refused;
        };
        return (_request, response) => {
          const decision = limiter.admit(1);
          // With Redis the decision is a promise, which the runtime awaits (docs/extending.md).
          if (decision instanceof Promise) return decision.then((d) => answer(d, response)) as unknown as SimResponse;
          return answer(decision, response);
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
      return context.auth.check({ apiKey: headers['api-key'] ?? '', authorization: headers.authorization ?? '', contentType: '', contentLength: '', host: '' });
    },
    deployments: {
      get: (deploymentName: string): PublicDeployment | undefined => {
        const d = context.config.deployments.resolve(deploymentName, 'chat');
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

/**
 * The built-in `openai` limiter for extension answers: the deployment the request addresses (the
 * path's, or the body's `model`) charged as a generated answer is (the same `charge`), under the
 * configuration the request arrived with, with AOAI's 429 on refusal.
 */
export function deploymentLimiter(ctx: Pick<ThreadContext, 'config'>): Limiter {
  return (request, response) => {
    const target = deploymentOperation(request.path);
    const body = request.json();
    const fromBody = isObject(body) && typeof body.model === 'string' ? body.model : undefined;
    const deployment = target?.deployment ?? fromBody;
    // A request of the simulator's carries its snapshot; one an extension made up gets today's.
    const config = request instanceof ExtensionRequest ? request.config : ctx.config;
    const limiter = deployment === undefined ? undefined : config.limiters.get(deployment);
    if (!limiter) return response;
    const operation = target?.operation ?? 'chat';
    const charged = charge(limiter, requestCost(operation, isObject(body) ? body : {}), operation, request.query);
    const limited = (c: Charged): SimResponse => (c.allowed ? { ...response, headers: { ...response.headers, ...c.headers } } : toResponse(c.error));
    // With a shared store (Redis) the charge is a promise, which the runtime awaits (docs/extending.md).
    if (charged instanceof Promise) return charged.then(limited) as unknown as SimResponse;
    return limited(charged);
  };
}

