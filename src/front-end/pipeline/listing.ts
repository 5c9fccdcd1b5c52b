/**
 * The GET routes of issue 13, rows of the route table like the rest: the model and deployment
 * listings (behind the key, answered from core/wire/models-listing.ts) and the generated images
 * that `url` answers point at (no key, as the service's blob links; the link carries its size,
 * seed and expiry, so any thread can serve it and nothing is stored).
 */
import type { HttpRequest } from 'uWebSockets.js';
import { errors } from '../../core/errors.js';
import type { GenerateOptions } from '../../core/generation/index.js';
import { imageForPath } from '../../core/generation/images.js';
import { azureModelJson, azureModelsJson, deploymentJson, deploymentsJson, LEGACY_DEPLOYMENTS_VERSIONS, openaiModelJson, openaiModelsJson } from '../../core/wire/models-listing.js';
import type { Listing, ListingRoute } from '../../core/wire/routes.js';
import { decodeSegment } from '../../core/wire/router.js';
import type { Deployment } from '../../core/config/deployments.js';
import type { Exchange } from '../http/exchange.js';
import { sendBytes, sendError, sendJson } from '../http/respond.js';
import type { Pipeline } from './pipeline.js';

/** uWS' parameters of a matched pattern, by the pattern's names (valid only during the handler). */
export function patternParams(pattern: string, req: HttpRequest): Record<string, string> {
  const params: Record<string, string> = {};
  let i = 0;
  for (const segment of pattern.split('/')) if (segment.startsWith(':')) params[segment.slice(1)] = decodeSegment(req.getParameter(i++) ?? '');
  return params;
}

const LISTINGS: Readonly<Record<Listing, (id: string, deployments: ReadonlyMap<string, Deployment>) => string | undefined>> = {
  'azure-models': () => azureModelsJson(),
  'azure-model': (id) => azureModelJson(id),
  'openai-models': (_, d) => openaiModelsJson(d),
  'openai-model': (id, d) => openaiModelJson(id, d),
  deployments: (_, d) => deploymentsJson(d),
  deployment: (id, d) => deploymentJson(id, d),
};

export function answerListing(p: Pipeline, ex: Exchange, route: ListingRoute, params: Readonly<Record<string, string>>): void {
  if (!p.auth.check(ex.headers)) return sendError(ex, p.auth.rejection(ex.headers));
  const version = ex.apiVersion;
  if (route.apiVersion === 'required' && version === '') return sendError(ex, errors.routeNotFound());
  if (route.apiVersion === 'legacy' && !LEGACY_DEPLOYMENTS_VERSIONS.has(version)) return sendError(ex, errors.routeNotFound());
  const body = LISTINGS[route.listing](params.id ?? '', p.deployments.configured);
  if (body === undefined) return sendError(ex, route.listing === 'deployment' ? errors.deploymentNotFound() : errors.routeNotFound());
  sendJson(ex, 200, body);
}

const IMAGE_HEADERS = { 'cache-control': 'private, max-age=86400' };

export function answerImageFile(ex: Exchange, params: Readonly<Record<string, string>>): void {
  const png = imageForPath(params.size ?? '', params.file ?? '', ex.query);
  if (!png) return sendError(ex, errors.imageNotFound());
  sendBytes(ex, 200, 'image/png', png, IMAGE_HEADERS);
}

/** Images need the address the client used, for `url` answers. */
export function imageOptions(p: Pipeline, ex: Exchange): GenerateOptions {
  const origin = p.settings.publicUrl ?? `http://${ex.headers.host || `localhost:${p.settings.port}`}`;
  return { ...p.generateOptions, images: { origin, urlTtlSeconds: p.settings.imageUrlTtlSeconds, blockedWords: p.settings.imageBlockedWords } };
}
