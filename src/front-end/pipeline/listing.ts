/**
 * The GET rows of the route table (spine.ts `routed` hands them here before any body is read):
 * health; the model and deployment listings (behind the key, answered from
 * core/wire/models-listing.ts over the request's configuration snapshot); and the generated
 * images that `url` answers point at (no key, as the service's blob links; the link carries its
 * size, seed and expiry, so any thread can serve it and nothing is stored).
 */
import { errors } from '../../core/errors.js';
import { imageForPath } from '../../core/generation/images.js';
import { azureModelJson, azureModelsJson, deploymentJson, deploymentsJson, LEGACY_DEPLOYMENTS_VERSIONS, openaiModelJson, openaiModelsJson } from '../../core/wire/models-listing.js';
import type { GetRoute, Listing, ListingRoute } from '../../core/wire/routes.js';
import type { Deployment } from '../../core/config/deployments.js';
import type { ThreadContext } from '../context.js';
import type { Exchange } from '../http/exchange.js';
import { reject } from '../http/fault.js';
import { HEALTH_BODY, sendError, sendJson } from '../http/respond.js';

type Params = Readonly<Record<string, string>>;

const LISTINGS: Readonly<Record<Listing, (id: string, deployments: ReadonlyMap<string, Deployment>) => string | undefined>> = {
  'azure-models': () => azureModelsJson(),
  'azure-model': (id) => azureModelJson(id),
  'openai-models': (_, d) => openaiModelsJson(d),
  'openai-model': (id, d) => openaiModelJson(id, d),
  deployments: (_, d) => deploymentsJson(d),
  deployment: (id, d) => deploymentJson(id, d),
};

function answerListing(ctx: ThreadContext, ex: Exchange, route: ListingRoute, params: Params): void {
  if (!ctx.auth.check(ex.headers)) return reject(ex, ctx.auth.rejection(ex.headers));
  const version = ex.apiVersion;
  if (route.apiVersion === 'required' && version === '') return sendError(ex, errors.routeNotFound());
  if (route.apiVersion === 'legacy' && !LEGACY_DEPLOYMENTS_VERSIONS.has(version)) return sendError(ex, errors.routeNotFound());
  const body = LISTINGS[route.listing](params.id ?? '', ex.config.deployments.configured);
  if (body === undefined) return sendError(ex, route.listing === 'deployment' ? errors.deploymentNotFound() : errors.routeNotFound());
  sendJson(ex, 200, body);
}

const IMAGE_HEADERS = { 'cache-control': 'private, max-age=86400' };

function answerImageFile(ex: Exchange, params: Params): void {
  const png = imageForPath(params.size ?? '', params.file ?? '', ex.query);
  if (!png) return sendError(ex, errors.imageNotFound());
  ex.sink.whole(ex, 200, 'image/png', png, IMAGE_HEADERS);
}

/** One answer per GET route kind (the compiler refuses a kind without one). */
const GET_ANSWERS: { readonly [K in GetRoute['kind']]: (ctx: ThreadContext, ex: Exchange, route: Extract<GetRoute, { kind: K }>, params: Params) => void } = {
  health: (_ctx, ex) => sendJson(ex, 200, HEALTH_BODY),
  listing: answerListing,
  'image-file': (_ctx, ex, _route, params) => answerImageFile(ex, params),
};

export function answerGet(ctx: ThreadContext, ex: Exchange, route: GetRoute, params: Params): void {
  (GET_ANSWERS[route.kind] as (ctx: ThreadContext, ex: Exchange, route: GetRoute, params: Params) => void)(ctx, ex, route, params);
}
