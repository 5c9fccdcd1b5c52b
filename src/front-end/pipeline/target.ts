/**
 * The producer's first steps, shared by every JSON operation: the body as a JSON object, then the
 * deployment it addresses, its limiter and the request's cost — resolved once, from the snapshot
 * the request arrived under, so the precheck and the charge use the same window — and the
 * certain-refusal precheck. Each step answers the error itself and returns undefined.
 */
import { errors } from '../../core/errors.js';
import type { Deployment } from '../../core/config/deployments.js';
import { isObject } from '../../core/generation/requests.js';
import { precheck } from '../../core/limits/charge.js';
import { requestCost, type DeploymentLimiter } from '../../core/limits/rate-limits.js';
import { supports } from '../../core/models.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../../core/wire/json-depth.js';
import type { Route } from '../../core/wire/routes.js';
import type { Exchange } from '../http/exchange.js';
import { sendError } from '../http/respond.js';

export type ApiRoute = Extract<Route, { kind: 'api' }>;

/** Curl's default type is accepted too: people post JSON with `-d` and no header. */
function isJsonContentType(contentType: string): boolean {
  const type = contentType.toLowerCase();
  return type === '' || type.includes('json') || type.startsWith('application/x-www-form-urlencoded') || type.startsWith('text/plain');
}

export function parseJsonBody(ex: Exchange, text: string): Record<string, unknown> | undefined {
  if (!isJsonContentType(ex.headers.contentType)) return void sendError(ex, errors.unsupportedContentType(ex.headers.contentType));
  if (jsonTooDeep(text)) return void sendError(ex, errors.jsonTooDeep(MAX_JSON_DEPTH));
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return void sendError(ex, errors.invalidJson());
  }
  if (!isObject(body)) return void sendError(ex, errors.bodyNotObject(body));
  return body;
}

export interface Target {
  readonly found: Deployment;
  readonly limiter: DeploymentLimiter | undefined;
  readonly cost: number;
}

export function resolveTarget(ex: Exchange, route: ApiRoute, params: Readonly<Record<string, string>>, body: Record<string, unknown>): Target | undefined {
  let name: string;
  if (route.deploymentFrom === 'path') name = params.deployment!;
  else if (body.model === undefined) return void sendError(ex, errors.missingField('model'));
  else if (typeof body.model !== 'string') return void sendError(ex, errors.invalidType('model', 'a string', body.model));
  else name = body.model;

  // Everything below reads the snapshot the request arrived under: the check and the charge
  // use the same window, and the cost is computed once.
  const config = ex.config;
  // The metrics' labels (the meter bounds the deployment name).
  ex.deployment = name;
  ex.stream = body.stream === true;
  const found = config.deployments.resolve(name, route.operation);
  if (!found) return void sendError(ex, errors.deploymentNotFound());
  const { operation } = route;
  if (!supports(found.model, operation)) return void sendError(ex, errors.operationNotSupported(operation, name));
  const limiter = config.limiters.get(found.name);
  const cost = limiter ? requestCost(operation, body) : 0;
  if (limiter) {
    const refused = precheck(limiter, cost, operation, ex.query);
    if (refused) return void sendError(ex, refused);
  }
  return { found, limiter, cost };
}
