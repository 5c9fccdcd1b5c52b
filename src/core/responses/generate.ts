/**
 * Generate mode's Responses API: one request (validated, with the previous response it continues,
 * if any) → the response object, its stream of events, and the record the store keeps. Pure: the
 * caller fetched the previous record and stores the new one.
 *
 * What the model "does" is decided by `plan` (plan.ts): text, a JSON answer for `text.format`, or
 * function calls. Token counts are exact: `input_tokens` by the chat counting rule over the whole
 * conversation (instructions, the stored conversation, this input), `cached_tokens` the part
 * repeated from the previous response, `output_tokens` the tokens of what was sent plus the
 * reasoning tokens of a reasoning model.
 */
import type { Answer } from '../generation/answer.js';
import type { Deployment } from '../config/deployments.js';
import { errors, fail } from '../errors.js';
import type { GenerateOptions } from '../generation/options.js';
import { randomId } from '../ids.js';
import { countChatPrompt } from '../generation/prompt-tokens.js';
import type { ChatMessage } from '../generation/requests.js';
import type { ModelSpec } from '../models.js';
import { getEncoding, type Encoding } from '../tokens/tokenizer.js';
import { contentFiltersJson } from './content-filters.js';
import { responseStream } from './events.js';
import { planOutput, type OutputPlan } from './plan.js';
import { IMAGE_MARK, IMAGE_MARK_LOW, unsupportedReasoning, type ReasoningEffort, type ResponsesRequest } from './request.js';
import { responseId, type ConversationMessage, type JsonObject, type StoredResponse } from './store.js';

export interface ResponseSettings {
  /** How long a stored response lives. */
  readonly ttlSeconds: number;
  /** Whether a stream ends with `data: [DONE]`. */
  readonly streamDone: boolean;
}

/** Reasoning tokens a reasoning model spends per effort (not sent; counted in `output_tokens`). */
export const REASONING_TOKENS: Readonly<Record<ReasoningEffort, number>> = { none: 0, minimal: 16, low: 64, medium: 192, high: 512 };

const IMAGE_TOKENS_LOW = 85;
const IMAGE_TOKENS_HIGH = 765;

function countMessages(messages: readonly ConversationMessage[], model: ModelSpec, enc: Encoding): number {
  let images = 0;
  const chat: ChatMessage[] = messages.map((m) => {
    let content = m.content;
    if (content.includes('\u0000')) {
      const high = content.split(IMAGE_MARK);
      const low = high.join('').split(IMAGE_MARK_LOW);
      images += (high.length - 1) * IMAGE_TOKENS_HIGH + (low.length - 1) * IMAGE_TOKENS_LOW;
      content = low.join('');
    }
    return { role: m.role, content, ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}), ...(m.tool_calls ? { tool_calls: m.tool_calls.map((c) => ({ ...c, function: { ...c.function } })) } : {}) };
  });
  return countChatPrompt(chat, model, enc) + images;
}

export interface Made {
  readonly answer: Answer;
  /** What the store keeps (undefined with `store: false`). */
  readonly record: StoredResponse | undefined;
  /** The response id (for logs and the background answer). */
  readonly id: string;
  /** The finished response object's JSON (`record.response`), written once: the answer's, the stream's last event's and the record's. */
  readonly responseJson: string;
}

/** The reasoning block of the response object. */
function reasoningJson(model: ModelSpec, effort: ReasoningEffort | undefined): JsonObject {
  return model.reasoning ? { effort: effort ?? 'medium', summary: null } : { effort: null, summary: null };
}

export function generateResponse(
  req: ResponsesRequest,
  deployment: Deployment,
  options: GenerateOptions,
  settings: ResponseSettings,
  previous: StoredResponse | undefined,
  nowMs: number,
  timing: { readonly startsInMs: number; readonly completesInMs: number } | undefined,
  /** The store mints it (`ResponseStore.newId`): the embedded store's ids name the thread that keeps the record. */
  id: string = responseId(0, 1),
): Made {
  const model = deployment.model;
  if (req.effort !== undefined && !model.reasoning) fail(unsupportedReasoning());
  const encoding = getEncoding(model.encoding);
  const history = previous?.conversation ?? [];
  const system: ConversationMessage[] = req.instructions !== null ? [{ role: 'developer', content: req.instructions }] : [];
  const seen = [...system, ...history, ...req.messages];
  const inputTokens = countMessages(seen, model, encoding) + (req.tools.length > 0 ? encoding.count(JSON.stringify(req.tools)) : 0);
  // The part of the prompt repeated from the stored conversation (its messages, without the reply priming).
  const cachedTokens = history.length > 0 ? Math.max(0, countMessages(history, model, encoding) - 3) : 0;
  const limit = req.maxOutputTokens;
  if (limit !== undefined && limit > model.maxOutputTokens) fail(errors.maxTokensTooLarge('max_output_tokens', limit, model.maxOutputTokens));
  if (inputTokens + (limit ?? 0) > model.contextWindow) fail(errors.contextLengthExceeded(model.contextWindow, inputTokens, limit, 'input'));
  const reasoningTokens = model.reasoning ? REASONING_TOKENS[req.effort ?? 'medium'] : 0;
  const cap = Math.min(model.maxOutputTokens, model.contextWindow - inputTokens);
  const plan: OutputPlan = planOutput(req, [...history, ...req.messages], options, encoding, limit === undefined ? undefined : Math.max(0, limit - reasoningTokens), cap);
  const outputTokens = plan.tokens + reasoningTokens;
  const created = Math.floor(nowMs / 1000);
  const incomplete = plan.truncated;
  const reasoningItem = reasoningTokens > 0 ? { id: randomId('rs_', 48), type: 'reasoning', summary: [] } : undefined;
  const items = plan.items;
  const outputItems: JsonObject[] = [...(reasoningItem ? [reasoningItem] : []), ...items.map((item) => item.done)];
  const completedAt = Math.floor((nowMs + (timing?.completesInMs ?? 0)) / 1000);
  const base = (status: string): JsonObject => ({
    id,
    object: 'response',
    created_at: created,
    status,
    completed_at: null,
    background: req.background,
    error: null,
    incomplete_details: null,
    instructions: req.instructions,
    max_output_tokens: limit ?? null,
    max_tool_calls: req.body.max_tool_calls ?? null,
    model: model.name,
    output: [],
    parallel_tool_calls: req.body.parallel_tool_calls !== false,
    previous_response_id: req.previousResponseId ?? null,
    prompt_cache_key: req.body.prompt_cache_key ?? null,
    reasoning: reasoningJson(model, req.effort),
    safety_identifier: req.body.safety_identifier ?? null,
    service_tier: 'default',
    store: req.store,
    temperature: req.body.temperature ?? 1,
    text: { format: req.format, verbosity: 'medium' },
    tool_choice: req.body.tool_choice ?? 'auto',
    tools: req.tools.map((t) => ({ type: 'function', description: t.description ?? null, name: t.name, parameters: t.parameters, strict: t.strict })),
    top_logprobs: req.body.top_logprobs ?? 0,
    top_p: req.body.top_p ?? 1,
    truncation: req.body.truncation ?? 'disabled',
    usage: null,
    user: req.body.user ?? null,
    metadata: req.metadata,
    content_filters: null,
  });
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: cachedTokens },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: reasoningTokens },
    total_tokens: inputTokens + outputTokens,
  };
  const final: JsonObject = {
    ...base(incomplete ? 'incomplete' : 'completed'),
    completed_at: completedAt,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    output: outputItems,
    usage,
    content_filters: JSON.parse(contentFiltersJson(inputTokens, plan.textLength)) as unknown,
  };
  const conversation: ConversationMessage[] = [...history, ...req.messages, ...plan.conversation];
  const record = req.store
    ? ({
        id,
        deployment: deployment.name,
        response: final,
        startsAt: nowMs + (timing?.startsInMs ?? 0),
        completesAt: nowMs + (timing?.completesInMs ?? 0),
        inputItems: req.inputItems,
        conversation,
        expiresAt: nowMs + settings.ttlSeconds * 1000,
      })
    : undefined;
  const metered = { promptTokens: inputTokens, completionTokens: outputTokens };
  const responseJson = JSON.stringify(final);
  if (req.background && !req.stream) {
    return { id, record, responseJson, answer: { kind: 'json', body: JSON.stringify({ ...base('queued') }), ...metered } };
  }
  if (!req.stream) return { id, record, responseJson, answer: { kind: 'json', body: responseJson, ...metered } };
  const stream = responseStream(base('in_progress'), final, responseJson, reasoningItem, items, req.includeObfuscation, settings.streamDone);
  return { id, record, responseJson, answer: { kind: 'stream', choices: 1, head: stream.head, tokens: { events: stream.tokens, count: stream.tokens.length }, tail: stream.tail, ...metered } };
}
