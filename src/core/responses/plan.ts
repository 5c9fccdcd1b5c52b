/**
 * What the simulated model answers a Responses request with: the output items (a message, or
 * function calls), each with the token pieces a stream sends, and what they add to the
 * conversation for the next turn. The decisions are chat's (core/generation): text from the lorem
 * corpus, `text.format` JSON from the schema generator (structured.ts, with its strict-subset 400s),
 * function calls from tools.ts (which tool, arguments from its `parameters` schema, an agent loop
 * that ends after a tool result). The Responses request is shown to them in chat's shape, and
 * their 400s name the Responses fields.
 */
import { DEFAULT_AGENT_POLICY } from '../generation/agent-policy.js';
import { generateChoice } from '../generation/choices.js';
import { corpusFor } from '../generation/lorem.js';
import type { GenerateOptions } from '../generation/options.js';
import { tokenPieces } from '../generation/pieces.js';
import type { ChatMessage } from '../generation/requests.js';
import { structuredSchema, structuredText } from '../generation/structured.js';
import { planToolTurn, toolRequest } from '../generation/tools.js';
import { ApiErrorResponse, fail } from '../errors.js';
import { randomId } from '../ids.js';
import { isObject } from '../values.js';
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

/** The Responses tool choice in chat's shape (`{type: function, name}` → `{type: function, function: {name}}`). */
function chatToolChoice(choice: unknown): unknown {
  if (!isObject(choice)) return choice;
  if (choice.type === 'function') return { type: 'function', function: { name: choice.name } };
  if (choice.type === 'allowed_tools') return { type: 'allowed_tools', allowed_tools: { mode: choice.mode, tools: choice.tools } };
  return choice;
}

/** The request as chat's tool and structured-output checks read it. */
function chatView(req: ResponsesRequest): Record<string, unknown> {
  const f = req.format;
  return {
    tools: req.tools.map((t) => ({ type: 'function', function: { name: t.name, parameters: t.parameters, strict: t.strict } })),
    tool_choice: chatToolChoice(req.body.tool_choice),
    parallel_tool_calls: req.body.parallel_tool_calls,
    response_format: f.type === 'json_schema' ? { type: 'json_schema', json_schema: { name: f.name, schema: f.schema, strict: f.strict } } : { type: f.type },
  };
}

/** Chat's 400s name chat's fields; here they name the Responses fields. */
function renamed<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    if (!(err instanceof ApiErrorResponse)) throw err;
    const rename = (s: string): string =>
      s
        .replace(/tools\[(\d+)\]\.function\./g, 'tools[$1].')
        .replace(/tool_choice\.function\./g, 'tool_choice.')
        .replace(/response_format\.json_schema/g, 'text.format')
        .replace(/response_format/g, 'text.format');
    const e = err.apiError;
    return fail({ ...e, param: e.param === null ? null : rename(e.param), message: rename(e.message) });
  }
}

const toChat = (m: ConversationMessage): ChatMessage => ({
  role: m.role,
  content: m.content,
  ...(m.tool_call_id ? { tool_call_id: m.tool_call_id } : {}),
  ...(m.tool_calls ? { tool_calls: m.tool_calls.map((c) => ({ id: c.id, type: 'function' as const, function: { ...c.function } })) } : {}),
});

/** `limit`: the tokens left for visible output (undefined: none set); `cap`: what the model can still produce. */
export function planOutput(
  req: ResponsesRequest,
  conversation: readonly ConversationMessage[],
  options: GenerateOptions,
  encoding: Encoding,
  limit: number | undefined,
  cap: number,
): OutputPlan {
  const policy = options.agent ?? DEFAULT_AGENT_POLICY;
  const view = chatView(req);
  const messages = [...(req.instructions !== null ? [{ role: 'developer', content: req.instructions }] : []), ...conversation.map(toChat)];
  const tools = renamed(() => toolRequest(view, policy));
  const format = renamed(() => structuredSchema(view, messages, policy));
  const bound = Math.min(limit ?? cap, cap);
  const turn = req.tools.length > 0 ? planToolTurn(tools, messages, policy, encoding, bound) : undefined;
  if (turn) {
    const items: PlannedItem[] = turn.calls.map((call) => {
      const id = randomId('fc_', 48);
      return {
        kind: 'function_call',
        id,
        callId: call.id,
        name: call.name,
        arguments: call.arguments,
        get pieces() {
          return call.pieces;
        },
        done: { id, type: 'function_call', status: 'completed', arguments: call.arguments, call_id: call.id, name: call.name },
      };
    });
    const calls = turn.calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } }));
    return { items, tokens: turn.completionTokens, truncated: turn.finishReason === 'length', textLength: 0, conversation: [{ role: 'assistant', content: '', tool_calls: calls }] };
  }
  if (format) {
    const pieces = tokenPieces(structuredText(format), encoding, bound);
    const item = messageItem(pieces.text, pieces, pieces.truncated);
    return { items: [item], tokens: pieces.count, truncated: pieces.truncated, textLength: pieces.text.length, conversation: [{ role: 'assistant', content: pieces.text }] };
  }
  const choice = generateChoice(corpusFor(encoding), limit, cap, options.answerLength);
  const truncated = choice.finishReason === 'length';
  const item = messageItem(choice.text, choice, truncated);
  return { items: [item], tokens: choice.count, truncated, textLength: choice.text.length, conversation: [{ role: 'assistant', content: choice.text }] };
}
