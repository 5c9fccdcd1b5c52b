/**
 * What every generator takes besides the request: its own module, so the generators (chat,
 * completions, audio, images) and their dispatcher (index.ts) import it without importing each other.
 */
import type { AgentPolicy } from './agent-policy.js';
import type { AnswerLength } from './choices.js';

export interface GenerateOptions {
  readonly answerLength: AnswerLength;
  /** Tool and structured-output behaviour (agent-policy.ts); the defaults when absent. */
  readonly agent?: AgentPolicy;
  /** Images: where `url` answers point, how long they last, which prompts are blocked. */
  readonly images?: ImageOptions;
}

/** Generated images: where `url` answers point and what is refused; per request (the Host header). */
export interface ImageOptions {
  /** `http://host:port` of the simulator as the client reached it. */
  readonly origin: string;
  readonly urlTtlSeconds: number;
  /** Prompts containing one of these (case-insensitive) get the content-policy 400. */
  readonly blockedWords: readonly string[];
}

export const DEFAULT_GENERATE_OPTIONS: GenerateOptions = Object.freeze({ answerLength: 'natural' });
