/**
 * Per-deployment rate limits: what a request costs (python-compatibility.md §7.1), which window a deployment has,
 * and how an admission or a rejection reads on the wire (AOAI's 429 and x-ratelimit headers).
 * The windows themselves are in `sliding-window.ts`.
 */
import type { Deployment } from '../config/deployments.js';
import { errors, type ApiError } from '../errors.js';
import type { Operation } from '../models.js';
import { inputList, type PromptInput } from '../generation/requests.js';
import { decodeSegment } from '../wire/router.js';
import { RequestWindow, TokenWindow, allocateWindow, type Admission } from './sliding-window.js';
import { RefusalCache, requestRule, tokenRule, type RemoteWindows, type WindowRule } from './shared-window.js';

/**
 * A deployment's window memory, made once by the main thread and shared with every thread. With a
 * shared store (Redis), `key` names the deployment's window there (a new key when its limits
 * change, so the window restarts only then) and the memory is the local fallback window.
 */
export type LimitSpec =
  | { readonly kind: 'tokens'; readonly tokensPerMinute: number; readonly buffer: SharedArrayBuffer | ArrayBuffer; readonly key?: string }
  | {
      readonly kind: 'requests';
      /** Requests per window: per minute for a deployment, per `windowSeconds` for an extension's limiter. */
      readonly requestsPerMinute: number;
      readonly buffer: SharedArrayBuffer | ArrayBuffer;
      readonly key?: string;
      /** The window's length; 60 unless an extension's limiter says otherwise. */
      readonly windowSeconds?: number;
    };

/**
 * A limiter's answer: a window's admission, marked `degraded` when it was decided without the
 * shared store (its fallback), or `unavailable` (the store is gone and the mode is `closed`).
 */
export type Decision = (Admission & { readonly degraded?: true }) | { readonly allowed: false; readonly reason: 'unavailable' };

/** The header that says a decision was made without the shared store. */
export const DEGRADED_HEADER = 'x-simulator-limits';

/** Limits only for deployments that have them (a 0 limit means none, as for undefined deployments). */
export function limitSpecFor(deployment: Deployment, shared = true): LimitSpec | undefined {
  if (deployment.model.limitKind === 'tokens' && deployment.tokensPerMinute > 0) {
    const capacity = TokenWindow.capacityFor(TokenWindow.requestsPer10sFor(deployment.tokensPerMinute));
    return { kind: 'tokens', tokensPerMinute: deployment.tokensPerMinute, buffer: allocateWindow(capacity, shared) };
  }
  if (deployment.model.limitKind === 'requests' && deployment.requestsPerMinute > 0) {
    return { kind: 'requests', requestsPerMinute: deployment.requestsPerMinute, buffer: allocateWindow(RequestWindow.capacityFor(deployment.requestsPerMinute), shared) };
  }
  return undefined;
}

/**
 * The token cost the limiter charges, from the request (python-compatibility.md §7.1): `max_tokens` (or
 * `max_completion_tokens`) when given, else 16 for chat and completions, and for embeddings
 * Σ ceil(characters / 4) over the inputs.
 */
export function requestCost(operation: Operation, body: Readonly<Record<string, unknown>>): number {
  const limit = body.max_completion_tokens ?? body.max_tokens ?? body.max_output_tokens;
  if (typeof limit === 'number' && limit > 0) return limit;
  if (operation === 'chat' || operation === 'completions' || operation === 'responses') return 16;
  if (operation === 'embeddings' && body.input !== undefined && body.input !== null) {
    return inputList(body.input as PromptInput).reduce((sum, item) => sum + (typeof item === 'string' ? Math.ceil(item.length / 4) : item.length), 0);
  }
  return 0;
}

const PATH_OPERATIONS: ReadonlyArray<[RegExp, Operation]> = [
  [/^chat\/completions/, 'chat'],
  [/^completions/, 'completions'],
  [/^embeddings/, 'embeddings'],
  [/^audio\/transcriptions/, 'transcriptions'],
  [/^audio\/translations/, 'translations'],
  [/^images\/generations/, 'images'],
];

/**
 * The deployment (percent-decoded) and operation a `/openai/deployments/{name}/…` path addresses
 * (record and replay); `operation` is undefined for paths this simulator has no operation for.
 */
export function deploymentOperation(path: string): { deployment: string; operation: Operation | undefined } | undefined {
  const m = /^\/openai\/deployments\/([^/]+)\/(.+)$/.exec(path);
  if (!m) return undefined;
  const operation = PATH_OPERATIONS.find(([pattern]) => pattern.test(m[2]!.toLowerCase()))?.[1];
  return { deployment: decodeSegment(m[1]!), operation };
}

/** How AOAI names operations in its 429 messages. */
export const OPERATION_NAME: Readonly<Record<Operation, string>> = {
  chat: 'ChatCompletions_Create',
  completions: 'Completions_Create',
  embeddings: 'Embeddings_Create',
  transcriptions: 'AudioTranscriptions_Create',
  translations: 'AudioTranslations_Create',
  images: 'ImageGenerations_Create',
  responses: 'Responses_Create',
};

export class DeploymentLimiter {
  readonly #window: TokenWindow | RequestWindow;
  /** Redis mode: the shared store, this thread's cache of its refusals, the script's rule. */
  readonly #remote: RemoteWindows | undefined;
  readonly #refusals = new RefusalCache();
  readonly #rule: WindowRule;
  readonly #limit: number;
  /** `local` fallback: the window over the same memory with the budget ÷ the replica count. */
  #divided: { replicas: number; window: TokenWindow | RequestWindow } | undefined;

  constructor(readonly spec: LimitSpec, remote?: RemoteWindows) {
    this.#window = spec.kind === 'tokens' ? new TokenWindow(spec.buffer, spec.tokensPerMinute) : new RequestWindow(spec.buffer, spec.requestsPerMinute, spec.windowSeconds);
    this.#limit = spec.kind === 'tokens' ? spec.tokensPerMinute : spec.requestsPerMinute;
    this.#rule = spec.kind === 'tokens' ? tokenRule(spec.tokensPerMinute) : requestRule(spec.requestsPerMinute, (spec.windowSeconds ?? 60) * 1000);
    this.#remote = spec.key === undefined ? undefined : remote;
  }

  /**
   * Charges the window. Embedded: synchronous, the shared-memory window. Shared store: a refusal
   * this thread already knows is certain is answered at once; otherwise the store's script
   * decides (a promise), and when the store is down or late, the fallback mode does.
   */
  admit(cost: number, nowSeconds?: number): Decision | Promise<Decision> {
    const remote = this.#remote;
    if (remote === undefined) return this.#local(this.#window, cost, nowSeconds, true);
    const known = this.#known(cost);
    if (known) return known;
    if (remote.down()) return this.#fallback(remote, cost, true);
    const sentAt = Date.now();
    return remote.admit(this.spec.key!, cost, this.#rule).then(
      (admission) => {
        if (!admission.allowed && admission.reason !== 'too-large') this.#refusals.record(sentAt, cost, admission);
        return admission;
      },
      () => this.#fallback(remote, cost, true),
    );
  }

  #local(window: TokenWindow | RequestWindow, cost: number, nowSeconds = Date.now() / 1000, commit: boolean): Admission {
    if (window instanceof TokenWindow) return commit ? window.add(cost, nowSeconds) : window.check(cost, nowSeconds);
    return commit ? window.add(nowSeconds) : window.check(nowSeconds);
  }

  /** A refusal that cannot be wrong without asking the store: too large, or a cached refusal. */
  #known(cost: number): Decision | undefined {
    if (this.#rule.requests === 0 || (this.#rule.tokens >= 0 && cost > this.#rule.tokens)) return { allowed: false, reason: 'too-large' };
    return this.#refusals.lookup(Date.now(), cost);
  }

  #fallback(remote: RemoteWindows, cost: number, commit: boolean): Decision {
    if (commit) remote.degraded();
    if (remote.mode === 'closed') return { allowed: false, reason: 'unavailable' };
    if (remote.mode === 'open') return { allowed: true, remainingTokens: Math.max(0, this.#rule.tokens - cost), remainingRequests: this.#rule.requests - 1, degraded: true };
    const replicas = Math.max(1, remote.replicas());
    if (this.#divided?.replicas !== replicas) {
      const share = Math.floor(this.#limit / replicas);
      const window = this.spec.kind === 'tokens' ? new TokenWindow(this.spec.buffer, share) : new RequestWindow(this.spec.buffer, share, this.spec.windowSeconds);
      this.#divided = { replicas, window };
    }
    return { ...this.#local(this.#divided.window, cost, undefined, commit), degraded: true };
  }

  /**
   * What `admit` would answer, without charging. A request that would certainly be refused gets
   * its 429 before the answer is generated (the 429 path is the hot one when a test overloads a
   * deployment); one that passes is still charged by `admit` once its answer exists, because
   * answers that fail validation are not charged.
   */
  check(cost: number, nowSeconds?: number): Decision {
    const remote = this.#remote;
    if (remote === undefined) return this.#local(this.#window, cost, nowSeconds, false);
    // Shared store: only what is certain without a round trip (admission is decided by `admit`).
    const known = this.#known(cost);
    if (known) return known;
    if (remote.down()) return this.#fallback(remote, cost, false);
    return { allowed: true, remainingTokens: 0, remainingRequests: 0 };
  }

  /** Headers on an admitted answer: what is left of the budget and what the budget is. */
  successHeaders(admission: Extract<Decision, { allowed: true }>): Record<string, string> {
    const headers = this.#budgetHeaders(admission);
    if (admission.degraded) headers[DEGRADED_HEADER] = 'degraded';
    return headers;
  }

  #budgetHeaders(left: { readonly remainingTokens: number; readonly remainingRequests: number }): Record<string, string> {
    if (this.spec.kind === 'tokens') {
      const window = this.#window as TokenWindow;
      return {
        'x-ratelimit-remaining-requests': String(left.remainingRequests),
        'x-ratelimit-remaining-tokens': String(left.remainingTokens),
        'x-ratelimit-limit-requests': String(window.requestsPer10s),
        'x-ratelimit-limit-tokens': String(window.tokensPerMinute),
      };
    }
    return {
      'x-ratelimit-remaining-requests': String(left.remainingRequests),
      'x-ratelimit-limit-requests': String((this.#window as RequestWindow).requestsPerMinute),
    };
  }

  /** The AOAI 429 (or a 400 for a request whose cost alone is over the budget). */
  rejection(admission: Exclude<Decision, { allowed: true }>, operation: Operation, apiVersion: string, cost: number): ApiError {
    if (admission.reason === 'unavailable') {
      const error = errors.unavailable('the shared rate-limit store (SIMULATOR_REDIS_URL) is unavailable and SIMULATOR_LIMITS_ON_STORE_ERROR is closed');
      return { ...error, headers: { [DEGRADED_HEADER]: 'degraded', 'retry-after': '1', 'retry-after-ms': '1000' } };
    }
    if (admission.reason === 'too-large') {
      const budget = this.spec.kind === 'tokens' ? this.spec.tokensPerMinute : 0;
      return errors.invalidValue('max_tokens', `this request asks for ${cost} tokens, more than the deployment's whole rate limit of ${budget} tokens per minute; it could never succeed.`);
    }
    const limitName = admission.reason === 'tokens' ? 'token rate limit' : 'call rate limit';
    return {
      status: 429,
      limit: admission.reason,
      code: '429',
      type: null,
      param: null,
      message: `Requests to the ${OPERATION_NAME[operation]} Operation under Azure OpenAI API version ${apiVersion || 'unknown'} have exceeded ${limitName} of your current OpenAI S0 pricing tier. Please retry after ${admission.retryAfterSeconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
      headers: {
        'retry-after': String(admission.retryAfterSeconds),
        'retry-after-ms': String(admission.retryAfterMs),
        [`x-ratelimit-reset-${admission.reason}`]: String(admission.retryAfterSeconds),
        ...this.#budgetHeaders(admission),
        ...('degraded' in admission && admission.degraded ? { [DEGRADED_HEADER]: 'degraded' } : {}),
      },
    };
  }
}
