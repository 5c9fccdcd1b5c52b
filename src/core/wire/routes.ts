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
    }
  | { readonly kind: 'health'; readonly method: 'GET'; readonly pattern: string };

const OPERATION_PATHS: ReadonlyArray<[string, Operation, BodyKind]> = [
  ['chat/completions', 'chat', 'json'],
  ['completions', 'completions', 'json'],
  ['embeddings', 'embeddings', 'json'],
  ['audio/transcriptions', 'transcriptions', 'multipart'],
  ['audio/translations', 'translations', 'multipart'],
];

export const healthRoute: Route = { kind: 'health', method: 'GET', pattern: '/' };

/** Generate mode's operations (record and replay modes take every path). */
export const apiRoutes: readonly Route[] = [
  ...OPERATION_PATHS.flatMap(([path, operation, body]): Route[] => [
    { kind: 'api', method: 'POST', pattern: `/openai/deployments/:deployment/${path}`, operation, deploymentFrom: 'path', body },
    { kind: 'api', method: 'POST', pattern: `/openai/v1/${path}`, operation, deploymentFrom: 'body', body },
    { kind: 'api', method: 'POST', pattern: `/v1/${path}`, operation, deploymentFrom: 'body', body },
  ]),
];

export const routes: readonly Route[] = [healthRoute, ...apiRoutes];
