/**
 * What the simulated model answers a Responses request with: the output items (a message, or
 * function calls), each with the token pieces a stream sends, and what they add to the
 * conversation for the next turn. Text comes from the lorem corpus, as for chat completions.
 */
import type { GenerateOptions } from '../generation/options.js';
import { generateChoice } from '../generation/choices.js';
import { corpusFor } from '../generation/lorem.js';
import { randomId } from '../ids.js';
import type { Encoding } from '../tokens/tokenizer.js';
import type { ResponsesRequest } from './request.js';
import type { ConversationMessage, JsonObject } from './store.js';

export type PlannedItem =
  | { readonly kind: 'message'; readonly id: string; readonly text: string; readonly pieces: readonly string[]; readonly done: JsonObject }
  | {
      readonly kind: 'function_call';
      readonly id: string;
      readonly callId: string;
      readonly name: string;
      readonly arguments: string;
      readonly pieces: readonly string[];
      readonly done: JsonObject;
    };

export interface OutputPlan {
  readonly items: readonly PlannedItem[];
  /** Output tokens of the items (what is sent). */
  readonly tokens: number;
  /** Cut by `max_output_tokens`. */
  readonly truncated: boolean;
  /** Characters of visible output (the completion filter's offsets). */
  readonly textLength: number;
  /** The turn as the next request's conversation sees it. */
  readonly conversation: readonly ConversationMessage[];
}

/** `source.tokens` is read only if a stream needs the pieces (a lazy list stays lazy). */
export function messageItem(text: string, source: { readonly tokens: readonly string[] }, incomplete: boolean): PlannedItem {
  const id = randomId('msg_', 48);
  return {
    kind: 'message',
    id,
    text,
    get pieces() {
      return source.tokens;
    },
    done: { id, type: 'message', status: incomplete ? 'incomplete' : 'completed', content: [{ type: 'output_text', annotations: [], logprobs: [], text }], role: 'assistant' },
  };
}

/** `limit`: the tokens left for visible output (undefined: none set); `cap`: what the model can still produce. */
export function planOutput(
  req: ResponsesRequest,
  _conversation: readonly ConversationMessage[],
  options: GenerateOptions,
  encoding: Encoding,
  limit: number | undefined,
  cap: number,
): OutputPlan {
  const choice = generateChoice(corpusFor(encoding), limit, cap, options.answerLength);
  const truncated = choice.finishReason === 'length';
  const item = messageItem(choice.text, choice, truncated);
  return { items: [item], tokens: choice.count, truncated, textLength: choice.text.length, conversation: [{ role: 'assistant', content: choice.text }] };
}
