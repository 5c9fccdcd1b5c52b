/**
 * Prompt token accounting, following OpenAI's cookbook rule for chat messages
 * ("How to count tokens with tiktoken"): every message costs `tokensPerMessage`, every string field
 * its tokens, a `name` field `tokensPerName` more, and the reply is primed with 3 tokens.
 */
import type { ModelSpec } from '../models.js';
import type { Encoding } from '../tokens/tokenizer.js';
import { inputList, type ChatMessage, type ContentPart, type PromptInput } from './requests.js';

const REPLY_PRIMING = 3;
/** Image inputs: low detail is a flat 85 tokens; otherwise assume one 1024×1024 image (85 + 4 × 170). */
const IMAGE_TOKENS_LOW = 85;
const IMAGE_TOKENS_HIGH = 765;

function countContent(content: string | ContentPart[] | null | undefined, enc: Encoding): number {
  if (content == null) return 0;
  if (typeof content === 'string') return enc.count(content);
  let total = 0;
  for (const part of content) {
    if (part.type === 'text' || part.type === 'refusal') total += enc.count(part.text ?? part.refusal ?? '');
    else if (part.type === 'image_url') total += part.image_url?.detail === 'low' ? IMAGE_TOKENS_LOW : IMAGE_TOKENS_HIGH;
  }
  return total;
}

export function countChatPrompt(messages: readonly ChatMessage[], model: ModelSpec, enc: Encoding): number {
  const perMessage = model.tokensPerMessage ?? 3;
  const perName = model.tokensPerName ?? 1;
  let total = REPLY_PRIMING;
  for (const m of messages) {
    total += perMessage + enc.count(m.role) + countContent(m.content, enc);
    if (typeof m.name === 'string') total += perName + enc.count(m.name);
    if (typeof m.tool_call_id === 'string') total += enc.count(m.tool_call_id);
    if (m.tool_calls) {
      for (const call of m.tool_calls) total += enc.count(call.function.name) + enc.count(call.function.arguments);
    }
  }
  return total;
}

/** Tool definitions are sent to the model too; counted as their JSON (an approximation). */
export function countTools(tools: readonly unknown[] | undefined, enc: Encoding): number {
  return tools && tools.length > 0 ? enc.count(JSON.stringify(tools)) : 0;
}

/** Tokens of each completions / embeddings input (token-id inputs are already tokens). */
export function countInput(input: PromptInput, enc: Encoding): number[] {
  return inputList(input).map((item) => (typeof item === 'string' ? enc.count(item) : item.length));
}
