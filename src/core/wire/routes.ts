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
  | StoredResponseRoute;

/** What a stored-response route does (the Responses API's `GET`/`DELETE …/responses/{id}` and friends). */
export type StoredAction = 'retrieve' | 'delete' | 'input-items' | 'cancel';

export interface StoredResponseRoute {
  readonly kind: 'stored-response';
  readonly method: 'GET' | 'DELETE' | 'POST';
  readonly pattern: string;
  readonly action: StoredAction;
  readonly needsApiVersion?: true;
}

const OPERATION_PATHS: ReadonlyArray<[string, Operation, BodyKind]> = [
  ['chat/completions', 'chat', 'json'],
  ['completions', 'completions', 'json'],
  ['embeddings', 'embeddings', 'json'],
  ['audio/transcriptions', 'transcriptions', 'multipart'],
  ['audio/translations', 'translations', 'multipart'],
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

export const routes: readonly Route[] = [healthRoute, ...apiRoutes, ...storedResponseRoutes];
