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

/** A deployment's window memory, made once by the main thread and shared with every thread. */
export type LimitSpec =
  | { readonly kind: 'tokens'; readonly tokensPerMinute: number; readonly buffer: SharedArrayBuffer | ArrayBuffer }
  | { readonly kind: 'requests'; readonly requestsPerMinute: number; readonly buffer: SharedArrayBuffer | ArrayBuffer };

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
  const limit = body.max_completion_tokens ?? body.max_tokens;
  if (typeof limit === 'number' && limit > 0) return limit;
  if (operation === 'chat' || operation === 'completions') return 16;
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
};

export class DeploymentLimiter {
  readonly #window: TokenWindow | RequestWindow;

  constructor(readonly spec: LimitSpec) {
    this.#window = spec.kind === 'tokens' ? new TokenWindow(spec.buffer, spec.tokensPerMinute) : new RequestWindow(spec.buffer, spec.requestsPerMinute);
  }

  admit(cost: number, nowSeconds = Date.now() / 1000): Admission {
    return this.#window instanceof TokenWindow ? this.#window.add(cost, nowSeconds) : this.#window.add(nowSeconds);
  }

  /**
   * What `admit` would answer, without charging. A request that would certainly be refused gets
   * its 429 before the answer is generated (the 429 path is the hot one when a test overloads a
   * deployment); one that passes is still charged by `admit` once its answer exists, because
   * answers that fail validation are not charged.
   */
  check(cost: number, nowSeconds = Date.now() / 1000): Admission {
    return this.#window instanceof TokenWindow ? this.#window.check(cost, nowSeconds) : this.#window.check(nowSeconds);
  }

  /** Headers on an admitted answer: what is left of the budget and what the budget is. */
  successHeaders(admission: Extract<Admission, { allowed: true }>): Record<string, string> {
    return this.#budgetHeaders(admission);
  }

  #budgetHeaders(left: { readonly remainingTokens: number; readonly remainingRequests: number }): Record<string, string> {
    if (this.#window instanceof TokenWindow) {
      return {
        'x-ratelimit-remaining-requests': String(left.remainingRequests),
        'x-ratelimit-remaining-tokens': String(left.remainingTokens),
        'x-ratelimit-limit-requests': String(this.#window.requestsPer10s),
        'x-ratelimit-limit-tokens': String(this.#window.tokensPerMinute),
      };
    }
    return {
      'x-ratelimit-remaining-requests': String(left.remainingRequests),
      'x-ratelimit-limit-requests': String(this.#window.requestsPerMinute),
    };
  }

  /** The AOAI 429 (or a 400 for a request whose cost alone is over the budget). */
  rejection(admission: Exclude<Admission, { allowed: true }>, operation: Operation, apiVersion: string, cost: number): ApiError {
    if (admission.reason === 'too-large') {
      const budget = this.spec.kind === 'tokens' ? this.spec.tokensPerMinute : 0;
      return errors.invalidValue('max_tokens', `this request asks for ${cost} tokens, more than the deployment's whole rate limit of ${budget} tokens per minute; it could never succeed.`);
    }
    const limitName = admission.reason === 'tokens' ? 'token rate limit' : 'call rate limit';
    return {
      status: 429,
      code: '429',
      type: null,
      param: null,
      message: `Requests to the ${OPERATION_NAME[operation]} Operation under Azure OpenAI API version ${apiVersion || 'unknown'} have exceeded ${limitName} of your current OpenAI S0 pricing tier. Please retry after ${admission.retryAfterSeconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
      headers: {
        'retry-after': String(admission.retryAfterSeconds),
        'retry-after-ms': String(admission.retryAfterMs),
        [`x-ratelimit-reset-${admission.reason}`]: String(admission.retryAfterSeconds),
        ...this.#budgetHeaders(admission),
      },
    };
  }
}
