/**
 * Request bodies: their types, and validation that names the offending field the way the live
 * service does ("Missing required parameter: 'messages'."). Unknown fields are accepted and
 * ignored, as the service does.
 */
import { MAX_CHOICES } from './choices.js';
import { errors, fail } from '../errors.js';
import { isObject } from '../values.js';

export interface ContentPart {
  type: string;
  text?: string;
  refusal?: string;
  image_url?: { url: string; detail?: 'low' | 'high' | 'auto' };
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: string;
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface StreamOptions {
  include_usage?: boolean;
}

export interface ChatRequest {
  messages: ChatMessage[];
  model?: string;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
  tools?: unknown[];
  // Tools and structured outputs: checked in detail by tools.ts and structured.ts.
  functions?: unknown[];
  tool_choice?: unknown;
  function_call?: unknown;
  parallel_tool_calls?: boolean | null;
  response_format?: unknown;
}

export type PromptInput = string | string[] | number[] | number[][];

/** The separate inputs of a prompt: one string, several, one token-id list, or several. */
export function inputList(input: PromptInput): (string | number[])[] {
  if (typeof input === 'string') return [input];
  if (input.length === 0) return [];
  return typeof input[0] === 'number' ? [input as number[]] : (input as (string | number[])[]);
}

export interface CompletionRequest {
  prompt: PromptInput;
  model?: string;
  max_tokens?: number | null;
  n?: number | null;
  stream?: boolean | null;
  stream_options?: StreamOptions | null;
}

export interface EmbeddingRequest {
  input: PromptInput;
  model?: string;
  dimensions?: number | null;
  encoding_format?: 'float' | 'base64' | null;
}

type Body = Record<string, unknown>;

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

export { isObject };

/** The body as an object, or a 400 naming what it was instead. */
export function asObject(v: unknown): Body {
  return isObject(v) ? v : fail(errors.bodyNotObject(v));
}

function optionalInteger(body: Body, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  const v = body[field];
  if (v === undefined || v === null) return;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(errors.invalidType(field, 'an integer', v));
  if ((v as number) < min) fail(errors.invalidValue(field, `expected a value ≥ ${min}, but got ${v} instead.`));
  if ((v as number) > max) fail(errors.invalidValue(field, `expected a value ≤ ${max}, but got ${v} instead.`));
}

function optionalBoolean(body: Body, field: string): void {
  const v = body[field];
  if (v !== undefined && v !== null && typeof v !== 'boolean') fail(errors.invalidType(field, 'a boolean', v));
}

function optionalString(body: Body, field: string): void {
  const v = body[field];
  if (v !== undefined && v !== null && typeof v !== 'string') fail(errors.invalidType(field, 'a string', v));
}

function streamOptions(body: Body): void {
  const v = body.stream_options;
  if (v === undefined || v === null) return;
  if (!isObject(v)) fail(errors.invalidType('stream_options', 'an object', v));
  if (v.include_usage !== undefined && typeof v.include_usage !== 'boolean') {
    fail(errors.invalidType('stream_options.include_usage', 'a boolean', v.include_usage));
  }
  if (body.stream !== true) fail(errors.invalidValue('stream_options', "'stream_options' is only allowed when 'stream' is true."));
}

function contentPart(part: unknown, at: string): void {
  if (!isObject(part)) fail(errors.invalidType(at, 'an object', part));
  const p = part as Body;
  if (typeof p.type !== 'string') fail(errors.missingField(`${at}.type`));
  if (p.type === 'text' && typeof p.text !== 'string') fail(errors.invalidType(`${at}.text`, 'a string', p.text));
  if (p.type === 'image_url' && !(isObject(p.image_url) && typeof p.image_url.url === 'string')) {
    fail(errors.missingField(`${at}.image_url.url`));
  }
}

function message(m: unknown, i: number): void {
  const at = `messages[${i}]`;
  if (!isObject(m)) fail(errors.invalidType(at, 'an object', m));
  const msg = m as Body;
  if (msg.role === undefined) fail(errors.missingField(`${at}.role`));
  if (typeof msg.role !== 'string' || !ROLES.has(msg.role)) {
    fail(errors.invalidValue(`${at}.role`, `expected one of ${[...ROLES].map((r) => `'${r}'`).join(', ')}, but got ${JSON.stringify(msg.role)} instead.`));
  }
  const c = msg.content;
  if (Array.isArray(c)) c.forEach((part, j) => contentPart(part, `${at}.content[${j}]`));
  else if (c === undefined || c === null) {
    // Only assistant messages carrying tool calls may omit content.
    if (msg.role !== 'assistant') fail(errors.missingField(`${at}.content`));
  } else if (typeof c !== 'string') fail(errors.invalidType(`${at}.content`, 'a string or an array of content parts', c));
  if (msg.name !== undefined && typeof msg.name !== 'string') fail(errors.invalidType(`${at}.name`, 'a string', msg.name));
  if (msg.tool_calls !== undefined) {
    if (!Array.isArray(msg.tool_calls)) fail(errors.invalidType(`${at}.tool_calls`, 'an array', msg.tool_calls));
    (msg.tool_calls as unknown[]).forEach((call, j) => {
      const fn = isObject(call) ? call.function : undefined;
      if (!isObject(fn) || typeof fn.name !== 'string' || typeof fn.arguments !== 'string') {
        fail(errors.invalidValue(`${at}.tool_calls[${j}]`, "expected {id, type: 'function', function: {name, arguments}}."));
      }
    });
  }
}

function commonGeneration(body: Body): void {
  optionalString(body, 'model');
  optionalInteger(body, 'n', 1, MAX_CHOICES);
  optionalBoolean(body, 'stream');
  streamOptions(body);
}

export function validateChat(v: unknown): ChatRequest {
  const body = asObject(v);
  if (body.messages === undefined) fail(errors.missingField('messages'));
  if (!Array.isArray(body.messages)) fail(errors.invalidType('messages', 'an array', body.messages));
  const messages = body.messages as unknown[];
  if (messages.length === 0) fail(errors.invalidValue('messages', "'messages' must contain at least one message."));
  messages.forEach(message);
  optionalInteger(body, 'max_tokens', 1);
  optionalInteger(body, 'max_completion_tokens', 1);
  commonGeneration(body);
  if (body.tools !== undefined && !Array.isArray(body.tools)) fail(errors.invalidType('tools', 'an array', body.tools));
  return body as unknown as ChatRequest;
}

/** Completions and embeddings inputs: a string, an array of strings, token ids, or arrays of token ids. */
function promptInput(body: Body, field: 'prompt' | 'input'): void {
  const v = body[field];
  if (v === undefined || v === null) fail(errors.missingField(field));
  if (typeof v === 'string') return;
  const ok =
    Array.isArray(v) &&
    v.length > 0 &&
    (v.every((x) => typeof x === 'string') ||
      v.every((x) => Number.isInteger(x)) ||
      v.every((x) => Array.isArray(x) && x.length > 0 && x.every((t) => Number.isInteger(t))));
  if (!ok) fail(errors.invalidType(field, 'a string, an array of strings, an array of integers, or an array of integer arrays', v));
}

export function validateCompletion(v: unknown): CompletionRequest {
  const body = asObject(v);
  promptInput(body, 'prompt');
  optionalInteger(body, 'max_tokens', 0);
  commonGeneration(body);
  return body as unknown as CompletionRequest;
}

export function validateEmbedding(v: unknown): EmbeddingRequest {
  const body = asObject(v);
  promptInput(body, 'input');
  optionalString(body, 'model');
  optionalInteger(body, 'dimensions', 1);
  const format = body.encoding_format;
  if (format !== undefined && format !== null && format !== 'float' && format !== 'base64') {
    fail(errors.invalidValue('encoding_format', `expected 'float' or 'base64', but got ${JSON.stringify(format)} instead.`));
  }
  return body as unknown as EmbeddingRequest;
}
