/**
 * Generate mode: one generator per operation. The same entry point runs inline in a front-end
 * thread and inside a pool worker, so both paths answer identically.
 */
import type { Answer } from './answer.js';
import { generateImages } from './images.js';
import { DEFAULT_GENERATE_OPTIONS, type GenerateOptions } from './options.js';
import { generateTranscription, generateTranslation } from './audio.js';
import { generateChat } from './chat.js';
import { HeavyCount } from '../tokens/counting-policy.js';
import { generateCompletion } from './completions.js';
import type { Deployment } from '../config/deployments.js';
import { generateEmbedding } from './embeddings.js';
import { ApiErrorResponse, errors } from '../errors.js';
import type { Operation } from '../models.js';

export { DEFAULT_GENERATE_OPTIONS, type GenerateOptions } from './options.js';

/** One operation's generator (core's; the extension API's `Generator` is the extension-facing hook). */
export type OperationGenerator = (body: unknown, deployment: Deployment, options: GenerateOptions) => Answer;

export const generators: Partial<Record<Operation, OperationGenerator>> = {
  chat: generateChat,
  completions: generateCompletion,
  embeddings: generateEmbedding,
  transcriptions: generateTranscription,
  translations: generateTranslation,
  images: generateImages,
};

/** Runs the operation's generator; API errors become error answers, anything else a 500. */
export function generate(operation: Operation, body: unknown, deployment: Deployment, options: GenerateOptions = DEFAULT_GENERATE_OPTIONS): Answer {
  const generator = generators[operation];
  if (!generator) return { kind: 'error', error: errors.internal(`no generator for operation "${operation}"`) };
  try {
    return generator(body, deployment, options);
  } catch (err) {
    if (err instanceof HeavyCount) throw err; // not an answer: the caller moves the request to the pool
    if (err instanceof ApiErrorResponse) return { kind: 'error', error: err.apiError };
    return { kind: 'error', error: errors.internal((err as Error)?.message ?? String(err)) };
  }
}
