/** Chat completions (`/chat/completions`): JSON and streamed answers in the live service's shape. */
import { usageJson, type Answer } from './answer.js';
import { checkAnswerBudget, generateChoices, totalTokens, type Choice, type FinishReason } from './choices.js';
import { composedPlan, type TokenEventsPlan } from './token-events.js';
import type { EncodingName } from '../models.js';
import { CONTENT_FILTER_JSON, PROMPT_FILTER_EVENT, PROMPT_FILTER_JSON } from './content-filter.js';
import type { Deployment } from '../config/deployments.js';
import { errors, fail } from '../errors.js';
import type { GenerateOptions } from './options.js';
import { randomId } from '../ids.js';
import { corpusFor } from './lorem.js';
import { countChatPrompt, countTools } from './prompt-tokens.js';
import { validateChat, type ChatRequest } from './requests.js';
import { SSE_DONE, sseEvent } from './sse.js';
import { getEncoding, type Encoding } from '../tokens/tokenizer.js';
import { DEFAULT_AGENT_POLICY } from './agent-policy.js';
import { planToolTurn, toolChoiceJson, toolRequest, toolStreamEvents, type ToolTurn } from './tools.js';
import { structuredSchema, structuredText } from './structured.js';
import { tokenPieces } from './pieces.js';

export const SYSTEM_FINGERPRINT = 'fp_aoaisim';

/** The completion limit a request sets, checked against the model as the service checks it. */
function requestedLimit(req: ChatRequest, deployment: Deployment): { limit: number | undefined } {
  const model = deployment.model;
  if (model.reasoning && req.max_tokens != null) fail(errors.unsupportedParameter('max_tokens', 'max_completion_tokens'));
  const param = req.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  const limit = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  if (limit !== undefined && limit > model.maxOutputTokens) fail(errors.maxTokensTooLarge(param, limit, model.maxOutputTokens));
  return { limit };
}

export function generateChat(body: unknown, deployment: Deployment, options: GenerateOptions): Answer {
  const req = validateChat(body);
  const model = deployment.model;
  const encoding = getEncoding(model.encoding);
  // Tools and response_format are checked before anything is counted, as the service does.
  const policy = options.agent ?? DEFAULT_AGENT_POLICY;
  const tools = toolRequest(req as unknown as Record<string, unknown>, policy);
  const format = structuredSchema(req as unknown as Record<string, unknown>, req.messages, policy);
  const promptTokens =
    countChatPrompt(req.messages, model, encoding) + countTools(req.tools, encoding) + countTools(req.functions, encoding) + (format ? countTools([format.schema], encoding) : 0);
  const { limit } = requestedLimit(req, deployment);
  if (promptTokens + (limit ?? 0) > model.contextWindow) {
    fail(errors.contextLengthExceeded(model.contextWindow, promptTokens, limit, 'messages'));
  }
  const n = req.n ?? 1;
  checkAnswerBudget(n, limit ?? model.maxOutputTokens, 'n');
  const cap = Math.min(model.maxOutputTokens, model.contextWindow - promptTokens);
  const id = randomId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const meta = { id, created, model: model.name };
  const turn = planToolTurn(tools, req.messages, policy, encoding, Math.min(limit ?? cap, cap));
  if (turn) {
    const turns = [turn, ...Array.from({ length: n - 1 }, () => planToolTurn(tools, req.messages, policy, encoding, Math.min(limit ?? cap, cap))!)];
    return toolAnswer(meta, turns, promptTokens, req.stream === true, req.stream_options?.include_usage === true);
  }
  const choices = format
    ? Array.from({ length: n }, () => structuredChoice(structuredText(format), encoding, Math.min(limit ?? cap, cap)))
    : generateChoices(corpusFor(encoding), n, limit, cap, options.answerLength);
  const completionTokens = totalTokens(choices);
  if (req.stream) {
    return { kind: 'stream', promptTokens, completionTokens, choices: choices.length, ...chatStream(meta, choices, promptTokens, req.stream_options?.include_usage === true, model.encoding, format !== undefined) };
  }
  const body_ =
    `{"choices":[${choices.map(choiceJson).join(',')}],"created":${created},"id":"${id}","model":"${model.name}",` +
    `"object":"chat.completion","prompt_filter_results":${PROMPT_FILTER_JSON},"system_fingerprint":"${SYSTEM_FINGERPRINT}",` +
    `"usage":${usageJson(promptTokens, completionTokens)}}`;
  return { kind: 'json', body: body_, promptTokens, completionTokens };
}

function choiceJson(choice: Choice, index: number): string {
  return (
    `{"content_filter_results":${CONTENT_FILTER_JSON},"finish_reason":"${choice.finishReason}","index":${index},"logprobs":null,` +
    `"message":{"annotations":[],"content":${JSON.stringify(choice.text)},"refusal":null,"role":"assistant"}}`
  );
}

interface StreamMeta {
  id: string;
  created: number;
  model: string;
}

/**
 * The stream, as AOAI sends it: a first event with only the prompt filter results, a role event per
 * choice, one event per token, a finish event per choice, the usage event when asked for, [DONE].
 * Every chunk shares one id.
 *
 * Every chunk is `data: {"choices":[` + one choice's JSON + the stream's frame (its id, time and
 * model). The choice's JSON is the same in every stream but for its index and finish reason, so it
 * is made once per process (`perIndex`); what a stream makes is its frame, once: its head and tail
 * are templates and the frame in turn, and a token event is rendered from the plan as the socket
 * takes it.
 */
function streamFrame(meta: StreamMeta, includeUsage: boolean): string {
  return `],"created":${meta.created},"id":"${meta.id}","model":"${meta.model}","object":"chat.completion.chunk","system_fingerprint":"${SYSTEM_FINGERPRINT}"${includeUsage ? ',"usage":null' : ''}}\n\n`;
}

function usageEvent(meta: StreamMeta, promptTokens: number, completionTokens: number): string {
  return sseEvent(
    `{"choices":[],"created":${meta.created},"id":"${meta.id}","model":"${meta.model}","object":"chat.completion.chunk",` +
      `"system_fingerprint":"${SYSTEM_FINGERPRINT}","usage":${usageJson(promptTokens, completionTokens)}}`,
  );
}

const CHUNK_START = 'data: {"choices":[';

/** A text per choice index that no stream changes, made once for the first indices (a request may ask for up to 128). */
function perIndex(make: (index: number) => string): (index: number) => string {
  const made: string[] = [];
  return (i) => made[i] ?? (i < 16 ? (made[i] = make(i)) : make(i));
}

const ROLE_CHUNK = perIndex((i) => `${CHUNK_START}{"content_filter_results":{},"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":${i},"logprobs":null}`);
const FINISH_CHUNK: Readonly<Record<FinishReason, (index: number) => string>> = {
  stop: perIndex((i) => `${CHUNK_START}{"content_filter_results":{},"delta":{},"finish_reason":"stop","index":${i},"logprobs":null}`),
  length: perIndex((i) => `${CHUNK_START}{"content_filter_results":{},"delta":{},"finish_reason":"length","index":${i},"logprobs":null}`),
};
/** A token event's text before the token's JSON string: the same in every chat stream. */
const TOKEN_EVENT_BEFORE = `${CHUNK_START}{"content_filter_results":${CONTENT_FILTER_JSON},"delta":{"content":`;
/** …and after it, up to the stream's frame. */
const TOKEN_EVENT_AFTER = perIndex((i) => `},"finish_reason":null,"index":${i},"logprobs":null}`);

/** `composed`: the choices are composed texts (a structured JSON answer), not corpus ranges — see ComposedPlan. */
function chatStream(meta: StreamMeta, choices: readonly Choice[], promptTokens: number, includeUsage: boolean, encoding: EncodingName, composed: boolean) {
  const frame = streamFrame(meta, includeUsage);
  const n = choices.length;
  // Pieces, not events (StreamAnswer.head): each event is a template and the frame, so the
  // stream makes no event text of its own.
  const head: string[] = [PROMPT_FILTER_EVENT];
  const tail: string[] = [];
  const before: string[] = [];
  const after: string[] = [];
  const parts: (readonly (number | string)[])[] = [];
  for (let i = 0; i < n; i++) {
    const choice = choices[i]!;
    head.push(ROLE_CHUNK(i), frame);
    tail.push(FINISH_CHUNK[choice.finishReason](i), frame);
    before.push(TOKEN_EVENT_BEFORE);
    after.push(TOKEN_EVENT_AFTER(i));
    parts.push(choice.parts);
  }
  if (includeUsage) tail.push(usageEvent(meta, promptTokens, totalTokens(choices)));
  tail.push(SSE_DONE);
  const tokens: TokenEventsPlan = composed
    ? composedPlan(choices.map((c, i) => c.tokens.map((token) => before[i]! + JSON.stringify(token) + after[i]! + frame)))
    : { encoding, count: totalTokens(choices), before, after, frame, parts };
  return { head, tokens, tail };
}

// ---- Tools and structured outputs (tools.ts, structured.ts) ------------------------------------

/** A structured answer as a choice: its tokens as the tokenizer splits them, cut at the limit. */
function structuredChoice(json: string, encoding: Encoding, bound: number): Choice {
  const pieces = tokenPieces(json, encoding, bound);
  // No corpus ranges: a stream renders its tokens as a ComposedPlan (chatStream's `composed`).
  return { text: pieces.text, count: pieces.count, get tokens() { return pieces.tokens; }, parts: [], finishReason: pieces.truncated ? 'length' : 'stop' };
}

function toolAnswer(meta: StreamMeta, turns: readonly ToolTurn[], promptTokens: number, stream: boolean, includeUsage: boolean): Answer {
  const completionTokens = turns.reduce((sum, t) => sum + t.completionTokens, 0);
  if (!stream) {
    const body =
      `{"choices":[${turns.map((t, i) => toolChoiceJson(t, i, CONTENT_FILTER_JSON)).join(',')}],"created":${meta.created},"id":"${meta.id}","model":"${meta.model}",` +
      `"object":"chat.completion","prompt_filter_results":${PROMPT_FILTER_JSON},"system_fingerprint":"${SYSTEM_FINGERPRINT}",` +
      `"usage":${usageJson(promptTokens, completionTokens)}}`;
    return { kind: 'json', body, promptTokens, completionTokens };
  }
  const frame = streamFrame(meta, includeUsage);
  const chunk = (choice: string): string => CHUNK_START + choice + frame;
  const events = turns.map((t, i) => toolStreamEvents(t, i, chunk));
  const tokens = composedPlan(events.map((e) => e.rest));
  const tail = events.map((e) => e.finish);
  if (includeUsage) tail.push(usageEvent(meta, promptTokens, completionTokens));
  tail.push(SSE_DONE);
  return { kind: 'stream', promptTokens, completionTokens, choices: turns.length, head: [PROMPT_FILTER_EVENT, ...events.map((e) => e.first)], tokens, tail };
}
