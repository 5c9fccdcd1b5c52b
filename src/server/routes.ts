/**
 * The route table. Azure deployment routes take the deployment from the path; the AOAI v1 and
 * OpenAI-style routes take it from the body's `model`. Same operations, same behaviour.
 */
import type { Operation } from '../core/models.js';

export type Route =
  | { readonly kind: 'api'; readonly method: 'POST'; readonly pattern: string; readonly operation: Operation; readonly deploymentFrom: 'path' | 'body' }
  | { readonly kind: 'health'; readonly method: 'GET'; readonly pattern: string };

const OPERATION_PATHS: ReadonlyArray<[string, Operation]> = [
  ['chat/completions', 'chat'],
  ['completions', 'completions'],
  ['embeddings', 'embeddings'],
];

export const healthRoute: Route = { kind: 'health', method: 'GET', pattern: '/' };

/** Generate mode's operations (record and replay modes take every path). */
export const apiRoutes: readonly Route[] = [
  ...OPERATION_PATHS.flatMap(([path, operation]): Route[] => [
    { kind: 'api', method: 'POST', pattern: `/openai/deployments/:deployment/${path}`, operation, deploymentFrom: 'path' },
    { kind: 'api', method: 'POST', pattern: `/openai/v1/${path}`, operation, deploymentFrom: 'body' },
    { kind: 'api', method: 'POST', pattern: `/v1/${path}`, operation, deploymentFrom: 'body' },
  ]),
];

export const routes: readonly Route[] = [healthRoute, ...apiRoutes];
