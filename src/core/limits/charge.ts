/**
 * Charging a deployment for one answer — the one place generated, replayed and extension answers
 * are charged (as the Python simulator does, errors are not charged): an admission gives the
 * x-ratelimit headers to add, a refusal AOAI's 429 (or the 400 for a request over the whole
 * budget) to answer instead. Pure: it takes the limiter and the cost, which the caller resolved
 * once per request, from the configuration snapshot the request arrived under.
 */
import type { ApiError } from '../errors.js';
import type { Operation } from '../models.js';
import type { Decision, DeploymentLimiter } from './rate-limits.js';

export type Charged = { readonly allowed: true; readonly headers: Readonly<Record<string, string>> } | { readonly allowed: false; readonly error: ApiError };

/** The `api-version` query parameter ('' if absent): AOAI's 429 message names it. */
export const apiVersionOf = (query: string): string => new URLSearchParams(query).get('api-version') ?? '';

/** `query`: the request's query string, read (for `api-version`) only when the answer is a refusal. */
export function charge(limiter: DeploymentLimiter, cost: number, operation: Operation, query: string, nowSeconds?: number): Charged | Promise<Charged> {
  const admission = limiter.admit(cost, nowSeconds);
  // Embedded windows answer synchronously; a shared store (Redis) may answer with a promise.
  if (admission instanceof Promise) return admission.then((decided) => charged(limiter, decided, cost, operation, query));
  return charged(limiter, admission, cost, operation, query);
}

function charged(limiter: DeploymentLimiter, admission: Decision, cost: number, operation: Operation, query: string): Charged {
  if (!admission.allowed) return { allowed: false, error: limiter.rejection(admission, operation, apiVersionOf(query), cost) };
  return { allowed: true, headers: limiter.successHeaders(admission) };
}

/**
 * The refusal `charge` would certainly give, without charging; undefined when it may pass. A
 * request that would be refused gets its 429 before its answer is made (the 429 path is the hot
 * one when a test overloads a deployment).
 */
export function precheck(limiter: DeploymentLimiter, cost: number, operation: Operation, query: string, nowSeconds?: number): ApiError | undefined {
  const certain = limiter.check(cost, nowSeconds);
  return certain.allowed ? undefined : limiter.rejection(certain, operation, apiVersionOf(query), cost);
}
