/**
 * A Responses API request (`POST …/responses`), checked as the service checks it: unknown fields
 * are refused (`Unknown parameter: 'x'.`, unlike chat completions, which ignore them), every known
 * one has its type checked, and the input — a string or a list of items — becomes the input items
 * the response stores (with ids) and the conversation the model sees.
 */
import { errors, fail, type ApiError } from '../errors.js';
import { randomId } from '../ids.js';
import { isObject } from '../values.js';
import type { ConversationMessage, JsonObject } from './store.js';

const KNOWN_FIELDS = new Set([
  'model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'text', 'max_output_tokens', 'max_tool_calls',
  'previous_response_id', 'store', 'stream', 'stream_options', 'temperature', 'top_p', 'top_logprobs', 'reasoning', 'metadata',
  'truncation', 'include', 'background', 'user', 'safety_identifier', 'prompt_cache_key', 'prompt_cache_retention', 'service_tier',
  'conversation', 'prompt',
]);

/** The smallest `max_output_tokens` the service takes. */
export const MIN_OUTPUT_TOKENS = 16;

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high';
const EFFORTS: readonly ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high'];

export interface FunctionTool {
  readonly type: 'function';
  readonly name: string;
  readonly description?: string | null;
  readonly parameters: JsonObject;
  readonly strict: boolean;
}

export type TextFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly name: string; readonly schema: JsonObject; readonly strict: boolean; readonly description?: string };

export interface ResponsesRequest {
  readonly body: JsonObject;
  readonly instructions: string | null;
  /** This request's input as the items the response stores (ids given where the client sent none). */
  readonly inputItems: readonly JsonObject[];
  /** The same input as conversation messages (instructions not included). */
  readonly messages: readonly ConversationMessage[];
  readonly tools: readonly FunctionTool[];
  readonly maxOutputTokens: number | undefined;
  readonly previousResponseId: string | undefined;
  readonly store: boolean;
  readonly stream: boolean;
  readonly background: boolean;
  readonly effort: ReasoningEffort | undefined;
  readonly format: TextFormat;
  readonly metadata: Readonly<Record<string, string>>;
  readonly includeObfuscation: boolean;
}

export const unknownParameter = (param: string): ApiError => ({
  status: 400,
  code: 'unknown_parameter',
  type: 'invalid_request_error',
  param,
  message: `Unknown parameter: '${param}'.`,
});

export const unsupportedReasoning = (): ApiError => ({
  status: 400,
  code: 'unsupported_parameter',
  type: 'invalid_request_error',
  param: 'reasoning.effort',
  message: "Unsupported parameter: 'reasoning.effort' is not supported with this model.",
});

const integerBelowMin = (param: string, min: number, got: number): ApiError => ({
  status: 400,
  code: 'integer_below_min_value',
  type: 'invalid_request_error',
  param,
  message: `Invalid '${param}': integer below minimum value. Expected a value >= ${min}, but got ${got} instead.`,
});

function optional<T>(body: JsonObject, field: string, check: (v: unknown) => v is T, expected: string): T | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!check(v)) fail(errors.invalidType(field, expected, v));
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInteger = (v: unknown): v is number => Number.isInteger(v);

function inRange(body: JsonObject, field: string, min: number, max: number): void {
  const v = optional(body, field, isNumber, 'a number');
  if (v !== undefined && (v < min || v > max)) fail(errors.invalidValue(field, `expected a value between ${min} and ${max}, but got ${v} instead.`));
}

const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer']);
const INPUT_PART_TYPES = new Set(['input_text', 'input_image', 'input_file', 'output_text', 'refusal']);
const ITEM_TYPES = new Set(['message', 'function_call_output', 'function_call', 'reasoning', 'item_reference']);

/** Image parts are counted as one 1024×1024 image (high detail: 765 tokens), as chat counts them; marked for the counter. */
export const IMAGE_MARK = '\u0000image\u0000';
export const IMAGE_MARK_LOW = '\u0000image-low\u0000';

function partText(part: JsonObject, at: string): string {
  if (typeof part.type !== 'string') fail(errors.missingField(`${at}.type`));
  if (!INPUT_PART_TYPES.has(part.type)) {
    fail(errors.invalidValue(`${at}.type`, `expected one of ${[...INPUT_PART_TYPES].map((t) => `'${t}'`).join(', ')}, but got ${JSON.stringify(part.type)} instead.`));
  }
  if (part.type === 'input_image') {
    if (typeof part.image_url !== 'string' && typeof part.file_id !== 'string') fail(errors.missingField(`${at}.image_url`));
    return part.detail === 'low' ? IMAGE_MARK_LOW : IMAGE_MARK;
  }
  if (part.type === 'input_file') return typeof part.file_data === 'string' ? part.file_data.slice(0, 4096) : '';
  const text = part.type === 'refusal' ? part.refusal : part.text;
  if (typeof text !== 'string') fail(errors.invalidType(`${at}.${part.type === 'refusal' ? 'refusal' : 'text'}`, 'a string', text));
  return text;
}

/** One input item: its stored form (with an id) and what the model sees of it; undefined for item references. */
function inputItem(raw: unknown, at: string): { item: JsonObject; message: ConversationMessage | undefined; reference?: string } {
  if (!isObject(raw)) fail(errors.invalidType(at, 'an object', raw));
  const type = raw.type ?? (raw.role !== undefined ? 'message' : undefined);
  if (type === undefined) fail(errors.missingField(`${at}.type`));
  if (typeof type !== 'string' || !ITEM_TYPES.has(type)) {
    fail(errors.invalidValue(`${at}.type`, `expected one of ${[...ITEM_TYPES].map((t) => `'${t}'`).join(', ')}, but got ${JSON.stringify(type)} instead.`));
  }
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  switch (type) {
    case 'message': {
      if (raw.role === undefined) fail(errors.missingField(`${at}.role`));
      if (typeof raw.role !== 'string' || !MESSAGE_ROLES.has(raw.role)) {
        fail(errors.invalidValue(`${at}.role`, `expected one of 'user', 'assistant', 'system', 'developer', but got ${JSON.stringify(raw.role)} instead.`));
      }
      const role = raw.role as ConversationMessage['role'];
      let content: JsonObject[];
      let text: string;
      if (typeof raw.content === 'string') {
        text = raw.content;
        content = [{ type: role === 'assistant' ? 'output_text' : 'input_text', text: raw.content }];
      } else if (Array.isArray(raw.content)) {
        content = raw.content.map((p, j) => (isObject(p) ? p : fail(errors.invalidType(`${at}.content[${j}]`, 'an object', p))));
        text = content.map((p, j) => partText(p, `${at}.content[${j}]`)).join('\n');
      } else {
        if (raw.content === undefined) fail(errors.missingField(`${at}.content`));
        return fail(errors.invalidType(`${at}.content`, 'a string or an array of content parts', raw.content));
      }
      return { item: { id: id ?? randomId('msg_', 40), type: 'message', role, status: 'completed', content }, message: { role, content: text } };
    }
    case 'function_call_output': {
      if (typeof raw.call_id !== 'string') fail(raw.call_id === undefined ? errors.missingField(`${at}.call_id`) : errors.invalidType(`${at}.call_id`, 'a string', raw.call_id));
      const output = typeof raw.output === 'string' ? raw.output : raw.output === undefined ? fail(errors.missingField(`${at}.output`)) : JSON.stringify(raw.output);
      return {
        item: { id: id ?? randomId('fco_', 40), type: 'function_call_output', call_id: raw.call_id, output, status: 'completed' },
        message: { role: 'tool', content: output, tool_call_id: raw.call_id },
      };
    }
    case 'function_call': {
      for (const field of ['call_id', 'name', 'arguments'] as const) {
        if (typeof raw[field] !== 'string') fail(raw[field] === undefined ? errors.missingField(`${at}.${field}`) : errors.invalidType(`${at}.${field}`, 'a string', raw[field]));
      }
      const call = { id: raw.call_id as string, type: 'function' as const, function: { name: raw.name as string, arguments: raw.arguments as string } };
      return {
        item: { id: id ?? randomId('fc_', 40), type: 'function_call', status: 'completed', arguments: raw.arguments, call_id: raw.call_id, name: raw.name },
        message: { role: 'assistant', content: '', tool_calls: [call] },
      };
    }
    case 'reasoning':
      // Echoed reasoning is encrypted or summarised: it costs the model nothing visible here.
      return { item: { ...raw, id: id ?? randomId('rs_', 40) }, message: undefined };
    default: {
      // item_reference
      if (typeof raw.id !== 'string') fail(errors.missingField(`${at}.id`));
      return { item: raw, message: undefined, reference: raw.id };
    }
  }
}

function tools(body: JsonObject): FunctionTool[] {
  const v = body.tools;
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(errors.invalidType('tools', 'an array', v));
  const out: FunctionTool[] = [];
  v.forEach((t, i) => {
    const at = `tools[${i}]`;
    if (!isObject(t)) fail(errors.invalidType(at, 'an object', t));
    if (typeof t.type !== 'string') fail(errors.missingField(`${at}.type`));
    // Built-in tools (web_search, file_search …) are accepted and never called: the simulator has none.
    if (t.type !== 'function') return;
    // The flat shape: a nested `function` is the chat completions shape, which the service refuses here.
    if (t.name === undefined) fail(errors.missingField(`${at}.name`));
    if (typeof t.name !== 'string') fail(errors.invalidType(`${at}.name`, 'a string', t.name));
    const parameters = t.parameters ?? { type: 'object', properties: {} };
    if (!isObject(parameters)) fail(errors.invalidType(`${at}.parameters`, 'an object', parameters));
    if (t.strict !== undefined && t.strict !== null && typeof t.strict !== 'boolean') fail(errors.invalidType(`${at}.strict`, 'a boolean', t.strict));
    // `strict` defaults to true in the Responses API (spec `FunctionTool`).
    out.push({ type: 'function', name: t.name, description: typeof t.description === 'string' ? t.description : null, parameters, strict: t.strict !== false });
  });
  return out;
}

function textFormat(body: JsonObject): TextFormat {
  const text = body.text;
  if (text === undefined || text === null) return { type: 'text' };
  if (!isObject(text)) fail(errors.invalidType('text', 'an object', text));
  const format = text.format;
  if (format === undefined || format === null) return { type: 'text' };
  if (!isObject(format)) fail(errors.invalidType('text.format', 'an object', format));
  if (format.type === 'text' || format.type === 'json_object') return { type: format.type };
  if (format.type !== 'json_schema') {
    fail(errors.invalidValue('text.format.type', `expected one of 'text', 'json_object', 'json_schema', but got ${JSON.stringify(format.type)} instead.`));
  }
  if (format.name === undefined) fail(errors.missingField('text.format.name'));
  if (typeof format.name !== 'string' || !/^[a-zA-Z0-9_-]{1,64}$/.test(format.name)) {
    fail(errors.invalidValue('text.format.name', "expected a string of at most 64 characters matching the pattern '^[a-zA-Z0-9_-]+$'."));
  }
  if (format.schema === undefined) fail(errors.missingField('text.format.schema'));
  if (!isObject(format.schema)) fail(errors.invalidType('text.format.schema', 'an object', format.schema));
  if (format.strict !== undefined && format.strict !== null && typeof format.strict !== 'boolean') fail(errors.invalidType('text.format.strict', 'a boolean', format.strict));
  return {
    type: 'json_schema',
    name: format.name,
    schema: format.schema,
    strict: format.strict === true,
    ...(typeof format.description === 'string' ? { description: format.description } : {}),
  };
}

function toolChoice(body: JsonObject, available: readonly FunctionTool[]): void {
  const v = body.tool_choice;
  if (v === undefined || v === null || v === 'auto' || v === 'none' || v === 'required') return;
  if (typeof v === 'string') fail(errors.invalidValue('tool_choice', `expected 'none', 'auto', 'required' or an object, but got ${JSON.stringify(v)} instead.`));
  if (!isObject(v)) fail(errors.invalidType('tool_choice', 'a string or an object', v));
  if (v.type === 'function') {
    if (typeof v.name !== 'string') fail(errors.missingField('tool_choice.name'));
    if (!available.some((t) => t.name === v.name)) fail(errors.invalidValue('tool_choice.name', `function ${JSON.stringify(v.name)} is not one of the functions in 'tools'.`));
    return;
  }
  if (v.type === 'allowed_tools') {
    if (v.mode !== 'auto' && v.mode !== 'required') fail(errors.invalidValue('tool_choice.mode', "expected 'auto' or 'required'."));
    if (!Array.isArray(v.tools) || v.tools.length === 0) fail(errors.missingField('tool_choice.tools'));
    return;
  }
  fail(errors.invalidValue('tool_choice.type', `expected 'function' or 'allowed_tools', but got ${JSON.stringify(v.type)} instead.`));
}

function metadata(body: JsonObject): Record<string, string> {
  const v = body.metadata;
  if (v === undefined || v === null) return {};
  if (!isObject(v)) fail(errors.invalidType('metadata', 'an object', v));
  const entries = Object.entries(v);
  if (entries.length > 16) fail(errors.invalidValue('metadata', `expected an object with at most 16 keys, but got ${entries.length} keys.`));
  for (const [key, value] of entries) {
    if (typeof value !== 'string') fail(errors.invalidType(`metadata.${key}`, 'a string', value));
    if (key.length > 64) fail(errors.invalidValue('metadata', `keys must be at most 64 characters, but '${key.slice(0, 70)}' has ${key.length}.`));
    if (value.length > 512) fail(errors.invalidValue(`metadata.${key}`, `values must be at most 512 characters, but got ${value.length}.`));
  }
  return v as Record<string, string>;
}

export interface ParsedInput {
  readonly items: JsonObject[];
  readonly messages: ConversationMessage[];
  /** Ids of `item_reference` items (resolved against the previous response's conversation by the caller). */
  readonly references: string[];
}

function input(body: JsonObject): ParsedInput {
  const v = body.input;
  if (v === undefined || v === null) {
    if (typeof body.previous_response_id === 'string') return { items: [], messages: [], references: [] };
    return fail(errors.missingField('input'));
  }
  if (typeof v === 'string') {
    return { items: [{ id: randomId('msg_', 40), type: 'message', role: 'user', status: 'completed', content: [{ type: 'input_text', text: v }] }], messages: [{ role: 'user', content: v }], references: [] };
  }
  if (!Array.isArray(v)) fail(errors.invalidType('input', 'a string or an array of input items', v));
  const parsed: ParsedInput = { items: [], messages: [], references: [] };
  v.forEach((raw, i) => {
    const { item, message, reference } = inputItem(raw, `input[${i}]`);
    parsed.items.push(item);
    if (message) parsed.messages.push(message);
    if (reference) parsed.references.push(reference);
  });
  return parsed;
}

export function validateResponses(v: unknown): ResponsesRequest {
  if (!isObject(v)) fail(errors.bodyNotObject(v));
  const body = v;
  for (const field in body) if (!KNOWN_FIELDS.has(field)) fail(unknownParameter(field));
  optional(body, 'model', isString, 'a string');
  const instructions = optional(body, 'instructions', isString, 'a string') ?? null;
  const previousResponseId = optional(body, 'previous_response_id', isString, 'a string');
  const parsed = input(body);
  const toolList = tools(body);
  toolChoice(body, toolList);
  optional(body, 'parallel_tool_calls', isBoolean, 'a boolean');
  const format = textFormat(body);
  const maxOutputTokens = optional(body, 'max_output_tokens', isInteger, 'an integer');
  if (maxOutputTokens !== undefined && maxOutputTokens < MIN_OUTPUT_TOKENS) fail(integerBelowMin('max_output_tokens', MIN_OUTPUT_TOKENS, maxOutputTokens));
  const store = optional(body, 'store', isBoolean, 'a boolean') ?? true;
  const stream = optional(body, 'stream', isBoolean, 'a boolean') ?? false;
  const background = optional(body, 'background', isBoolean, 'a boolean') ?? false;
  if (background && !store) fail(errors.invalidValue('background', "background mode requires 'store' to be true."));
  const streamOptions = body.stream_options;
  let includeObfuscation = true;
  if (streamOptions !== undefined && streamOptions !== null) {
    if (!isObject(streamOptions)) fail(errors.invalidType('stream_options', 'an object', streamOptions));
    if (!stream) fail(errors.invalidValue('stream_options', "'stream_options' is only allowed when 'stream' is true."));
    if (streamOptions.include_obfuscation === false) includeObfuscation = false;
  }
  inRange(body, 'temperature', 0, 2);
  inRange(body, 'top_p', 0, 1);
  let effort: ReasoningEffort | undefined;
  const reasoning = body.reasoning;
  if (reasoning !== undefined && reasoning !== null) {
    if (!isObject(reasoning)) fail(errors.invalidType('reasoning', 'an object', reasoning));
    const e = reasoning.effort;
    if (e !== undefined && e !== null) {
      if (!EFFORTS.includes(e as ReasoningEffort)) fail(errors.invalidValue('reasoning.effort', `expected one of ${EFFORTS.map((x) => `'${x}'`).join(', ')}, but got ${JSON.stringify(e)} instead.`));
      effort = e as ReasoningEffort;
    }
  }
  const truncation = body.truncation;
  if (truncation !== undefined && truncation !== null && truncation !== 'auto' && truncation !== 'disabled') {
    fail(errors.invalidValue('truncation', `expected 'auto' or 'disabled', but got ${JSON.stringify(truncation)} instead.`));
  }
  if (body.include !== undefined && body.include !== null && !Array.isArray(body.include)) fail(errors.invalidType('include', 'an array', body.include));
  for (const field of ['user', 'safety_identifier', 'prompt_cache_key', 'service_tier'] as const) optional(body, field, isString, 'a string');
  if (parsed.references.length > 0 && previousResponseId === undefined) {
    // Without a stored conversation there is nothing an item reference could point at.
    fail(errors.invalidValue('input', `item reference ${JSON.stringify(parsed.references[0])} was not found.`));
  }
  return {
    body,
    instructions,
    inputItems: parsed.items,
    messages: parsed.messages,
    tools: toolList,
    maxOutputTokens,
    previousResponseId,
    store,
    stream,
    background,
    effort,
    format,
    metadata: metadata(body),
    includeObfuscation,
  };
}
