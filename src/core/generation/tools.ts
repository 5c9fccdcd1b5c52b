/**
 * Tools on chat completions: the request's tool definitions and `tool_choice` checked as the
 * service checks them, the decision whether this turn calls tools, and the calls themselves —
 * `call_…` ids, arguments generated from each tool's `parameters` schema — in the JSON and the
 * streamed shapes of the live service (reference §2): the first delta per call carries `id`,
 * `type`, `function.name` and empty `arguments`, then one delta per argument token.
 *
 * Which tools a turn calls: with `tool_choice` a named function, that one; otherwise the tools
 * whose names the last user message mentions (all of them when `parallel_tool_calls` is not
 * false, else the first), or the first allowed tool when none is mentioned. An agent loop ends:
 * after a `tool` (or legacy `function`) message, `auto` answers text with `stop`.
 * Legacy `functions` / `function_call` answer `message.function_call` with `function_call`.
 */
import type { AgentPolicy } from './agent-policy.js';
import { errors, fail } from '../errors.js';
import { randomId } from '../ids.js';
import { tokenPieces } from './pieces.js';
import { isObject, type ChatMessage } from './requests.js';
import { strictSchemaProblem } from '../schema/strict.js';
import { valueForSchema, type JsonSchema } from '../schema/generate.js';
import type { Encoding } from '../tokens/tokenizer.js';
import type { Random } from './lorem.js';

export interface ToolDef {
  readonly name: string;
  readonly parameters: JsonSchema;
  readonly strict: boolean;
}

type Mode = 'none' | 'auto' | 'required' | 'named';

interface ToolRequest {
  readonly tools: readonly ToolDef[];
  readonly legacy: boolean;
  readonly mode: Mode;
  /** The tools this turn may call (all, or `allowed_tools`' subset, or the named one). */
  readonly allowed: readonly ToolDef[];
  readonly parallel: boolean;
}

export interface PlannedCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
  /** One string per argument token (what a stream sends). */
  readonly pieces: readonly string[];
  /** Tokens of the name and the arguments: what the call costs as completion tokens. */
  readonly tokens: number;
}

export interface ToolTurn {
  readonly legacy: boolean;
  readonly finishReason: 'tool_calls' | 'stop' | 'function_call' | 'length';
  readonly calls: readonly PlannedCall[];
  readonly completionTokens: number;
}

const NAME = /^[a-zA-Z0-9_-]+$/;
const NO_PARAMETERS: JsonSchema = { type: 'object', properties: {} };

function toolName(name: unknown, at: string): string {
  if (name === undefined) fail(errors.missingField(at));
  if (typeof name !== 'string') fail(errors.invalidType(at, 'a string', name));
  if (name.length > 64) {
    fail({ status: 400, code: 'string_above_max_length', type: 'invalid_request_error', param: at, message: `Invalid '${at}': string too long. Expected a string with maximum length 64, but got a string with length ${name.length} instead.` });
  }
  if (!NAME.test(name)) {
    fail({ status: 400, code: 'invalid_value', type: 'invalid_request_error', param: at, message: `Invalid '${at}': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.` });
  }
  return name;
}

function definition(fn: Record<string, unknown>, at: string, policy: AgentPolicy): ToolDef {
  const name = toolName(fn.name, `${at}.name`);
  const parameters = fn.parameters ?? NO_PARAMETERS;
  if (!isObject(parameters)) fail(errors.invalidType(`${at}.parameters`, 'an object', parameters));
  if (fn.strict !== undefined && fn.strict !== null && typeof fn.strict !== 'boolean') fail(errors.invalidType(`${at}.strict`, 'a boolean', fn.strict));
  const strict = fn.strict === true;
  if (strict) {
    const problem = strictSchemaProblem(parameters, policy.strictSchemas);
    if (problem) fail(errors.invalidSchema('function', name, problem, `${at}.parameters`));
  }
  return { name, parameters: parameters as JsonSchema, strict };
}

function definitions(body: Record<string, unknown>, policy: AgentPolicy): { tools: ToolDef[]; legacy: boolean } {
  if (Array.isArray(body.tools) && body.tools.length > 0) {
    const tools = body.tools.map((t, i): ToolDef => {
      const at = `tools[${i}]`;
      if (!isObject(t)) fail(errors.invalidType(at, 'an object', t));
      if (t.type !== 'function') fail(errors.invalidValue(`${at}.type`, `expected 'function', but got ${JSON.stringify(t.type)} instead.`));
      if (t.function === undefined) fail(errors.missingField(`${at}.function`));
      if (!isObject(t.function)) fail(errors.invalidType(`${at}.function`, 'an object', t.function));
      return definition(t.function, `${at}.function`, policy);
    });
    return { tools, legacy: false };
  }
  if (body.functions !== undefined && body.functions !== null) {
    if (!Array.isArray(body.functions)) fail(errors.invalidType('functions', 'an array', body.functions));
    const tools = body.functions.map((f, i) => {
      if (!isObject(f)) fail(errors.invalidType(`functions[${i}]`, 'an object', f));
      return definition(f, `functions[${i}]`, policy);
    });
    return { tools, legacy: tools.length > 0 };
  }
  return { tools: [], legacy: false };
}

function byName(tools: readonly ToolDef[], name: unknown, param: string): ToolDef {
  const found = tools.find((t) => t.name === name);
  if (!found) fail(errors.invalidValue(param, `function ${JSON.stringify(name)} is not one of the functions in 'tools'.`));
  return found;
}

function choice(body: Record<string, unknown>, tools: readonly ToolDef[], legacy: boolean): Pick<ToolRequest, 'mode' | 'allowed'> {
  const param = legacy ? 'function_call' : 'tool_choice';
  const v = legacy ? body.function_call : body.tool_choice;
  if (v === undefined || v === null) return { mode: tools.length > 0 ? 'auto' : 'none', allowed: tools };
  if (tools.length === 0) fail(errors.invalidValue(param, `'${param}' is only allowed when '${legacy ? 'functions' : 'tools'}' are specified.`));
  if (v === 'none' || v === 'auto' || (v === 'required' && !legacy)) return { mode: v, allowed: tools };
  if (typeof v === 'string') fail(errors.invalidValue(param, `expected 'none', 'auto'${legacy ? '' : ", 'required'"} or a function, but got ${JSON.stringify(v)} instead.`));
  if (!isObject(v)) fail(errors.invalidType(param, 'a string or an object', v));
  if (legacy) return { mode: 'named', allowed: [byName(tools, v.name, `${param}.name`)] };
  if (v.type === 'function') {
    const fn = isObject(v.function) ? v.function : fail(errors.missingField(`${param}.function`));
    return { mode: 'named', allowed: [byName(tools, fn.name, `${param}.function.name`)] };
  }
  if (v.type === 'allowed_tools') {
    const spec = isObject(v.allowed_tools) ? v.allowed_tools : fail(errors.missingField(`${param}.allowed_tools`));
    const mode = spec.mode === 'required' ? 'required' : spec.mode === 'auto' ? 'auto' : fail(errors.invalidValue(`${param}.allowed_tools.mode`, "expected 'auto' or 'required'."));
    if (!Array.isArray(spec.tools) || spec.tools.length === 0) fail(errors.missingField(`${param}.allowed_tools.tools`));
    const allowed = spec.tools.map((t, i) => {
      const name = isObject(t) ? (isObject(t.function) ? t.function.name : t.name) : undefined;
      return byName(tools, name, `${param}.allowed_tools.tools[${i}]`);
    });
    return { mode, allowed };
  }
  return fail(errors.invalidValue(`${param}.type`, `expected 'function' or 'allowed_tools', but got ${JSON.stringify(v.type)} instead.`));
}

/** A request that names no tools, no tool choice and no parallel_tool_calls (most requests): one object, not one per request. */
const NO_TOOLS: ToolRequest = Object.freeze({ tools: [], legacy: false, mode: 'none', allowed: [], parallel: true });

/** The request's tools and choice, validated (400s as the service words them). */
export function toolRequest(body: Record<string, unknown>, policy: AgentPolicy): ToolRequest {
  if (body.tools == null && body.functions == null && body.tool_choice == null && body.function_call == null && body.parallel_tool_calls == null) return NO_TOOLS;
  const { tools, legacy } = definitions(body, policy);
  const { mode, allowed } = choice(body, tools, legacy);
  const p = body.parallel_tool_calls;
  if (p !== undefined && p !== null && typeof p !== 'boolean') fail(errors.invalidType('parallel_tool_calls', 'a boolean', p));
  return { tools, legacy, mode, allowed, parallel: p !== false && !legacy };
}

function text(m: ChatMessage | undefined): string {
  const c = m?.content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((part) => part.text ?? '').join(' ');
  return '';
}

/** The tools this turn calls, or undefined when it answers text. */
function toolsToCall(req: ToolRequest, messages: readonly ChatMessage[], policy: AgentPolicy): readonly ToolDef[] | undefined {
  if (req.mode === 'none' || req.allowed.length === 0) return undefined;
  const last = messages[messages.length - 1];
  const afterToolResult = last?.role === 'tool' || last?.role === 'function';
  if (req.mode === 'auto' && (afterToolResult || policy.toolChoiceAuto === 'answer')) return undefined;
  if (req.mode === 'named') return req.allowed;
  const asked = text([...messages].reverse().find((m) => m.role === 'user')).toLowerCase();
  const mentioned = req.allowed.filter((t) => asked.includes(t.name.toLowerCase()));
  const chosen = mentioned.length > 0 ? mentioned : req.allowed.slice(0, 1);
  return req.parallel ? chosen : chosen.slice(0, 1);
}

/**
 * This turn's tool calls, or undefined when it answers text. `limit` is the request's completion
 * limit: calls past it are cut, as the service cuts them, with `length`.
 */
export function planToolTurn(
  req: ToolRequest,
  messages: readonly ChatMessage[],
  policy: AgentPolicy,
  encoding: Encoding,
  limit: number | undefined,
  random: Random = Math.random,
): ToolTurn | undefined {
  const chosen = toolsToCall(req, messages, policy);
  if (!chosen) return undefined;
  let budget = limit ?? Number.MAX_SAFE_INTEGER;
  const calls: PlannedCall[] = [];
  let cut = false;
  for (const tool of chosen) {
    const nameTokens = encoding.count(tool.name);
    if (budget < nameTokens && calls.length > 0) {
      cut = true;
      break;
    }
    let value = valueForSchema(tool.parameters, { random, optionalProperties: !tool.strict });
    if (!isObject(value)) value = {};
    const args = tokenPieces(JSON.stringify(value), encoding, Math.max(0, budget - nameTokens));
    cut ||= args.truncated;
    calls.push({ id: randomId('call_', 24), name: tool.name, arguments: args.text, get pieces() { return args.tokens; }, tokens: nameTokens + args.count });
    budget -= nameTokens + args.count;
    if (cut) break;
  }
  const forced = req.mode === 'named' ? policy.namedToolFinishReason : req.mode === 'required' ? policy.requiredToolFinishReason : 'tool_calls';
  const finishReason = cut ? 'length' : req.legacy ? 'function_call' : forced;
  return { legacy: req.legacy, finishReason, calls, completionTokens: calls.reduce((s, c) => s + c.tokens, 0) };
}

const j = JSON.stringify;

const callJson = (c: PlannedCall): string => `{"function":{"arguments":${j(c.arguments)},"name":${j(c.name)}},"id":"${c.id}","type":"function"}`;

/** A non-streamed choice carrying the turn's calls. */
export function toolChoiceJson(turn: ToolTurn, index: number, contentFilterJson: string): string {
  const first = turn.calls[0]!;
  const calls = turn.legacy
    ? `"function_call":{"arguments":${j(first.arguments)},"name":${j(first.name)}},"refusal":null,"role":"assistant"`
    : `"refusal":null,"role":"assistant","tool_calls":[${turn.calls.map(callJson).join(',')}]`;
  return `{"content_filter_results":${contentFilterJson},"finish_reason":"${turn.finishReason}","index":${index},"logprobs":null,"message":{"annotations":[],"content":null,${calls}}}`;
}

/**
 * A turn's streamed deltas for choice `index`: the first (with the role and the first call's
 * identity), then the rest in order — one call's argument tokens complete before the next call
 * starts, as the recordings show — and the finish delta. `chunk` frames one choice as an event.
 */
export function toolStreamEvents(turn: ToolTurn, index: number, chunk: (choiceJson: string) => string): { first: string; rest: string[]; finish: string } {
  const wrap = (delta: string): string => chunk(`{"content_filter_results":{},"delta":{${delta}},"finish_reason":null,"index":${index},"logprobs":null}`);
  const rest: string[] = [];
  let first = '';
  turn.calls.forEach((c, k) => {
    const role = k === 0 ? '"content":null,"refusal":null,"role":"assistant",' : '';
    const identity = turn.legacy
      ? wrap(`"content":null,"function_call":{"arguments":"","name":${j(c.name)}},"refusal":null,"role":"assistant"`)
      : wrap(`${role}"tool_calls":[{"index":${k},"id":"${c.id}","type":"function","function":{"name":${j(c.name)},"arguments":""}}]`);
    if (k === 0) first = identity;
    else rest.push(identity);
    for (const piece of c.pieces) {
      rest.push(turn.legacy ? wrap(`"function_call":{"arguments":${j(piece)}}`) : wrap(`"tool_calls":[{"index":${k},"function":{"arguments":${j(piece)}}}]`));
    }
  });
  const finish = chunk(`{"content_filter_results":{},"delta":{},"finish_reason":"${turn.finishReason}","index":${index},"logprobs":null}`);
  return { first, rest, finish };
}
