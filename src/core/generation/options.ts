/**
 * What every generator takes besides the request: its own module, so the generators (chat,
 * completions, audio) and their dispatcher (index.ts) import it without importing each other.
 */
import type { AnswerLength } from './choices.js';

export interface GenerateOptions {
  readonly answerLength: AnswerLength;
}

export const DEFAULT_GENERATE_OPTIONS: GenerateOptions = Object.freeze({ answerLength: 'natural' });
