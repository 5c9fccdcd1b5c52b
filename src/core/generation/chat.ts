/** Chat completions (`/chat/completions`): JSON and streamed answers in the live service's shape. */
import { usageJson, type Answer } from './answer.js';
import { checkAnswerBudget, generateChoices, totalTokens, type Choice } from './choices.js';
import type { TokenEventsPlan } from './token-events.js';
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
import { getEncoding } from '../tokens/tokenizer.js';

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
  const promptTokens = countChatPrompt(req.messages, model, encoding) + countTools(req.tools, encoding);
  const { limit } = requestedLimit(req, deployment);
  if (promptTokens + (limit ?? 0) > model.contextWindow) {
    fail(errors.contextLengthExceeded(model.contextWindow, promptTokens, limit, 'messages'));
  }
  const n = req.n ?? 1;
  checkAnswerBudget(n, limit ?? model.maxOutputTokens, 'n');
  const cap = Math.min(model.maxOutputTokens, model.contextWindow - promptTokens);
  const choices = generateChoices(corpusFor(encoding), n, limit, cap, options.answerLength);
  const completionTokens = totalTokens(choices);
  const id = randomId('chatcmpl-');
  const created = Math.floor(Date.now() / 1000);
  const meta = { id, created, model: model.name };
  if (req.stream) {
    return { kind: 'stream', promptTokens, completionTokens, choices: choices.length, ...chatStream(meta, choices, promptTokens, req.stream_options?.include_usage === true, model.encoding) };
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
 * Every chunk shares one id. Only the token text is serialised per event; the rest is a template.
 */
function chatStream(meta: StreamMeta, choices: readonly Choice[], promptTokens: number, includeUsage: boolean, encoding: EncodingName) {
  const usageNull = includeUsage ? ',"usage":null' : '';
  const suffix = `],"created":${meta.created},"id":"${meta.id}","model":"${meta.model}","object":"chat.completion.chunk","system_fingerprint":"${SYSTEM_FINGERPRINT}"${usageNull}}\n\n`;
  const chunk = (choice: string): string => `data: {"choices":[${choice}${suffix}`;
  const head = [
    PROMPT_FILTER_EVENT,
    ...choices.map((_, i) =>
      chunk(`{"content_filter_results":{},"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":${i},"logprobs":null}`),
    ),
  ];
  // Per token, only the token's JSON string changes: everything around it is made once per choice.
  const before = `data: {"choices":[{"content_filter_results":${CONTENT_FILTER_JSON},"delta":{"content":`;
  const after = choices.map((_, i) => `},"finish_reason":null,"index":${i},"logprobs":null}${suffix}`);
  const tokens: TokenEventsPlan = { encoding, count: totalTokens(choices), before: choices.map(() => before), after, parts: choices.map((c) => c.parts) };
  const tail = choices.map((c, i) =>
    chunk(`{"content_filter_results":{},"delta":{},"finish_reason":"${c.finishReason}","index":${i},"logprobs":null}`),
  );
  if (includeUsage) {
    tail.push(
      sseEvent(
        `{"choices":[],"created":${meta.created},"id":"${meta.id}","model":"${meta.model}","object":"chat.completion.chunk",` +
          `"system_fingerprint":"${SYSTEM_FINGERPRINT}","usage":${usageJson(promptTokens, totalTokens(choices))}}`,
      ),
    );
  }
  tail.push(SSE_DONE);
  return { head, tokens, tail };
}
