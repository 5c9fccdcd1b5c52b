/**
 * What a generator hands back to the server: a complete JSON body, or a stream split into the
 * events before the tokens, the token events (as a plan: built one by one as they are written),
 * and the events after — so the latency model can pace the token events without knowing the wire
 * format, and a slow reader holds a plan, not the stream.
 */
import type { ApiError } from '../errors.js';
import type { TokenEventsPlan } from './token-events.js';

export interface Metered {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Audio operations: the uploaded recording's size (their latency is per MiB). */
  readonly audioBytes?: number;
  /** Image operations: the number of images made (their latency is per image). */
  readonly images?: number;
}

/** A whole answer at once: JSON unless `contentType` says otherwise (audio's text formats). */
export interface JsonAnswer extends Metered {
  readonly kind: 'json';
  /** Text, or bytes where the answer is large and built as bytes (embeddings: no UTF-8 pass on the way out). */
  readonly body: string | Uint8Array;
  readonly contentType?: string;
}

export interface StreamAnswer extends Metered {
  readonly kind: 'stream';
  /** Choices interleaved in `tokens` (one event of each per token position). */
  readonly choices: number;
  /**
   * The text before the token events, in pieces written one after another — whole events, or
   * (chat) each event's template and the stream's frame, so that a stream makes no event text of
   * its own.
   */
  readonly head: readonly string[];
  /** The token events as a plan, rendered as the socket takes them (token-events.ts `StreamCursor`). */
  readonly tokens: TokenEventsPlan;
  /** The text after the token events, in pieces like `head`. */
  readonly tail: readonly string[];
}

export interface ErrorAnswer {
  readonly kind: 'error';
  readonly error: ApiError;
}

export type Answer = JsonAnswer | StreamAnswer | ErrorAnswer;

/** The `usage` object, with the detail fields current SDKs read. */
export function usageJson(prompt: number, completion: number, reasoning = 0): string {
  return (
    `{"completion_tokens":${completion},"completion_tokens_details":{"accepted_prediction_tokens":0,"audio_tokens":0,` +
    `"reasoning_tokens":${reasoning},"rejected_prediction_tokens":0},"prompt_tokens":${prompt},` +
    `"prompt_tokens_details":{"audio_tokens":0,"cached_tokens":0},"total_tokens":${prompt + completion}}`
  );
}
