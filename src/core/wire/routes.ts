/**
 * The route table. Azure deployment routes take the deployment from the path; the AOAI v1 and
 * OpenAI-style routes take it from the body's `model`. Same operations, same behaviour.
 */
import type { Operation } from '../models.js';

/** How a request body arrives: JSON, or a form upload (audio). */
export type BodyKind = 'json' | 'multipart';

export type Route =
  | {
      readonly kind: 'api';
      readonly method: 'POST';
      readonly pattern: string;
      readonly operation: Operation;
      readonly deploymentFrom: 'path' | 'body';
      readonly body: BodyKind;
      /** Dated routes that are not deployment-scoped (`/openai/responses`): 404 without `api-version`, as the service. */
      readonly needsApiVersion?: true;
    }
  | { readonly kind: 'health'; readonly method: 'GET'; readonly pattern: string }
  | StoredResponseRoute
  | ListingRoute
  | ImageFileRoute;

/** What a stored-response route does (the Responses API's `GET`/`DELETE …/responses/{id}` and friends). */
export type StoredAction = 'retrieve' | 'delete' | 'input-items' | 'cancel';

export interface StoredResponseRoute {
  readonly kind: 'stored-response';
  readonly method: 'GET' | 'DELETE' | 'POST';
  readonly pattern: string;
  readonly action: StoredAction;
  readonly needsApiVersion?: true;
}

/** The routes answered from what the thread holds: no body, no deployment, no generation. */
export type GetRoute = Exclude<Route, { kind: 'api' } | StoredResponseRoute>;

// ---- Listings and generated images --------------------------------------------------------------

/** What a listing route answers (core/wire/models-listing.ts). */
export type Listing = 'azure-models' | 'azure-model' | 'openai-models' | 'openai-model' | 'deployments' | 'deployment';

/** `required`: dated routes, 404 without api-version; `legacy`: only the versions that had it; `optional`: v1. */
export type ListingVersion = 'required' | 'legacy' | 'optional';

export interface ListingRoute {
  readonly kind: 'listing';
  readonly method: 'GET';
  readonly pattern: string;
  readonly listing: Listing;
  readonly apiVersion: ListingVersion;
}

const LISTING_PATHS: ReadonlyArray<[pattern: string, Listing, ListingVersion]> = [
  ['/openai/models', 'azure-models', 'required'],
  ['/openai/models/:id', 'azure-model', 'required'],
  ['/openai/v1/models', 'openai-models', 'optional'],
  ['/openai/v1/models/:id', 'openai-model', 'optional'],
  ['/v1/models', 'openai-models', 'optional'],
  ['/v1/models/:id', 'openai-model', 'optional'],
  ['/openai/deployments', 'deployments', 'legacy'],
  ['/openai/deployments/:id', 'deployment', 'legacy'],
];

export const listingRoutes: readonly ListingRoute[] = LISTING_PATHS.map(([pattern, listing, apiVersion]) => ({ kind: 'listing', method: 'GET', pattern, listing, apiVersion }));

/** `url` image answers point here: no key, as the service's blob links. */
export interface ImageFileRoute {
  readonly kind: 'image-file';
  readonly method: 'GET';
  readonly pattern: string;
}

export const imageFileRoute: ImageFileRoute = { kind: 'image-file', method: 'GET', pattern: '/images/generated/:size/:file' };

/** Generate mode's GET rows besides health: the listings, and the generated images. */
export const getRoutes: readonly GetRoute[] = [...listingRoutes, imageFileRoute];


const OPERATION_PATHS: ReadonlyArray<[string, Operation, BodyKind]> = [
  ['chat/completions', 'chat', 'json'],
  ['completions', 'completions', 'json'],
  ['embeddings', 'embeddings', 'json'],
  ['audio/transcriptions', 'transcriptions', 'multipart'],
  ['audio/translations', 'translations', 'multipart'],
  ['images/generations', 'images', 'json'],
];

/** The Responses API: v1, OpenAI-style, and the dated preview path (`model` = deployment everywhere). */
const RESPONSES_PREFIXES: ReadonlyArray<[prefix: string, dated: boolean]> = [
  ['/openai/v1/responses', false],
  ['/v1/responses', false],
  ['/openai/responses', true],
];

const dated = (yes: boolean): { needsApiVersion?: true } => (yes ? { needsApiVersion: true } : {});

export const healthRoute: Route = { kind: 'health', method: 'GET', pattern: '/' };

/** Generate mode's operations (record and replay modes take every path). */
export const apiRoutes: readonly Route[] = [
  ...OPERATION_PATHS.flatMap(([path, operation, body]): Route[] => [
    { kind: 'api', method: 'POST', pattern: `/openai/deployments/:deployment/${path}`, operation, deploymentFrom: 'path', body },
    { kind: 'api', method: 'POST', pattern: `/openai/v1/${path}`, operation, deploymentFrom: 'body', body },
    { kind: 'api', method: 'POST', pattern: `/v1/${path}`, operation, deploymentFrom: 'body', body },
  ]),
  ...RESPONSES_PREFIXES.map(([prefix, isDated]): Route => ({ kind: 'api', method: 'POST', pattern: prefix, operation: 'responses', deploymentFrom: 'body', body: 'json', ...dated(isDated) })),
];

const STORED_PATHS: ReadonlyArray<[suffix: string, StoredResponseRoute['method'], StoredAction]> = [
  ['/:id', 'GET', 'retrieve'],
  ['/:id', 'DELETE', 'delete'],
  ['/:id/input_items', 'GET', 'input-items'],
  ['/:id/cancel', 'POST', 'cancel'],
];

/** `GET` / `DELETE …/responses/{id}`, its input items, and cancelling a background response. */
export const storedResponseRoutes: readonly StoredResponseRoute[] = RESPONSES_PREFIXES.flatMap(([prefix, isDated]) =>
  STORED_PATHS.map(([suffix, method, action]): StoredResponseRoute => ({ kind: 'stored-response', method, pattern: prefix + suffix, action, ...dated(isDated) })),
);

export const routes: readonly Route[] = [healthRoute, ...apiRoutes, ...storedResponseRoutes, ...getRoutes];
