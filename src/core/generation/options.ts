/**
 * What every generator is given besides the request and the deployment. Its own file so the
 * generators (chat.ts, completions.ts, audio.ts) and their index import it without importing
 * each other.
 */
import type { AnswerLength } from './choices.js';

export interface GenerateOptions {
  readonly answerLength: AnswerLength;
}

export const DEFAULT_GENERATE_OPTIONS: GenerateOptions = Object.freeze({ answerLength: 'natural' });
