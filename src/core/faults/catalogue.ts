/**
 * The faults the simulator injects on purpose, as data: each fault's parameters (with defaults and
 * bounds), where it acts, which operations it applies to, and the status, headers and body the live
 * Azure OpenAI service sends for it (reference: aoai-wire-2026.md §7, scale-out-observability-faults.md
 * §3.2). Nothing here touches a socket: the front end's fault step (front-end/pipeline/faults.ts)
 * and fault sink (front-end/pipeline/fault-sink.ts) read this table.
 *
 * Operations: `applies` says which operations a fault means something for (the sets below); how a
 * stream fault ends a stream of each operation — chat's `data: {"error":…}` or the Responses API's
 * `event: error` then `event: response.failed` — is faults/streams.ts.
 */
import { BOUNDS } from '../config/bounds.js';
import { OPERATION_NAME } from '../limits/rate-limits.js';
import type { Operation } from '../models.js';

export const FAULT_NAMES = [
  '429',
  '500',
  '503',
  '408',
  '504',
  'hang',
  'drop',
  'ttft',
  'stall',
  'disconnect',
  'malformed_chunk',
  'no_done',
  'error_event',
  'content_filter_prompt',
  'content_filter_completion',
] as const;
export type FaultName = (typeof FAULT_NAMES)[number];

/**
 * Where a fault acts:
 * - `answer`: an error answered instead of the request (after `after_ms` for 408/504), never
 *   produced, forwarded or charged;
 * - `socket`: `hang` (never answered) and `drop` (closed before the status line);
 * - `write`: the answer is produced as usual and changed as it is written (delays, stream cuts,
 *   malformed or filtered content) by the fault sink.
 */
export type FaultKind = 'answer' | 'socket' | 'write';

export type ParamSpec =
  | { readonly kind: 'number'; readonly default: number; readonly min: number; readonly max: number }
  | { readonly kind: 'enum'; readonly default: string; readonly values: readonly string[] };

/** Delays share the latency settings' range (config/bounds.ts); retry-after may go past the SDK's 60 s cap on purpose. */
const ms = (fallback: number, max: number = BOUNDS.latencyMs.max): ParamSpec => ({ kind: 'number', default: fallback, min: 0, max });
const count = (fallback: number): ParamSpec => ({ kind: 'number', default: fallback, min: 0, max: 100_000 });
const CATEGORIES = ['hate', 'sexual', 'violence', 'self_harm', 'jailbreak', 'profanity'] as const;
const category: ParamSpec = { kind: 'enum', default: 'violence', values: CATEGORIES };
const severity: ParamSpec = { kind: 'enum', default: 'medium', values: ['low', 'medium', 'high'] };

/** Operations whose answers can be streams (server-sent events). */
const STREAMING: ReadonlySet<Operation> = new Set<Operation>(['chat', 'completions', 'responses']);
/** Operations the content filter judges (embeddings and audio are not filtered). */
const FILTERED: ReadonlySet<Operation> = new Set<Operation>(['chat', 'completions', 'images', 'responses']);
const ALL = (): boolean => true;

export interface FaultEntry {
  readonly kind: FaultKind;
  readonly params: Readonly<Record<string, ParamSpec>>;
  /** Whether the fault means anything for this operation and answer shape; otherwise it is not injected. */
  readonly applies: (operation: Operation, streamed: boolean) => boolean;
}

export const FAULTS: Readonly<Record<FaultName, FaultEntry>> = {
  '429': { kind: 'answer', params: { retry_after_ms: ms(1000, 86_400_000), variant: { kind: 'enum', default: 'rate_limit', values: ['rate_limit', 'high_demand'] } }, applies: ALL },
  '500': { kind: 'answer', params: {}, applies: ALL },
  '503': { kind: 'answer', params: { retry_after_ms: ms(1000, 86_400_000) }, applies: ALL },
  '408': { kind: 'answer', params: { after_ms: ms(1000) }, applies: ALL },
  '504': { kind: 'answer', params: { after_ms: ms(1000) }, applies: ALL },
  hang: { kind: 'socket', params: {}, applies: ALL },
  drop: { kind: 'socket', params: {}, applies: ALL },
  ttft: { kind: 'write', params: { ms: ms(1000) }, applies: ALL },
  stall: { kind: 'write', params: { after_chunks: count(3), ms: ms(5000) }, applies: ALL },
  disconnect: { kind: 'write', params: { after_chunks: count(3), after_ms: ms(0) }, applies: ALL },
  malformed_chunk: { kind: 'write', params: { at_chunk: count(3) }, applies: ALL },
  no_done: { kind: 'write', params: {}, applies: (op, streamed) => streamed && STREAMING.has(op) },
  error_event: { kind: 'write', params: { after_chunks: count(3) }, applies: (op, streamed) => streamed && STREAMING.has(op) },
  content_filter_prompt: { kind: 'answer', params: { category, severity }, applies: (op) => FILTERED.has(op) },
  content_filter_completion: { kind: 'write', params: { after_chunks: count(3), category, severity }, applies: (op) => STREAMING.has(op) },
};

/** A fault with its parameters resolved (defaults filled in). */
export interface FaultSpec {
  readonly name: FaultName;
  readonly params: Readonly<Record<string, number | string>>;
  /** As written (`429;retry_after_ms=1500`): how GET /++/config echoes it. */
  readonly text: string;
}

export const num = (spec: FaultSpec, param: string): number => spec.params[param] as number;
export const str = (spec: FaultSpec, param: string): string => spec.params[param] as string;

/** An answer a fault replaces the request's with. */
export interface FaultAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** The service's "contact us" tail, with the request id where it says to include it. */
const supportTail = (requestId: string): string =>
  `You can retry your request, or contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 if the error persists. (Please include the request ID ${requestId} in your message.)`;

const envelope = (fields: Record<string, unknown>): string => JSON.stringify({ error: fields });

/** The service's 500 message (also what a stream's error event carries). */
export const serverErrorMessage = (requestId: string): string => `The server had an error while processing your request. Sorry about that! ${supportTail(requestId)}`;
const serverError = (requestId: string): string => envelope({ message: serverErrorMessage(requestId), type: 'server_error', param: null, code: null });

function retryHeaders(retryAfterMs: number): Record<string, string> {
  return { 'retry-after': String(Math.ceil(retryAfterMs / 1000)), 'retry-after-ms': String(retryAfterMs) };
}

/** The content filter's per-category results with one category filtered (none when `filteredCategory` is null). */
export function filterResults(filteredCategory: string | null, level: string, withJailbreak: boolean): Record<string, unknown> {
  const safe = { filtered: false, severity: 'safe' };
  const results: Record<string, unknown> = { hate: safe, self_harm: safe, sexual: safe, violence: safe };
  if (withJailbreak) results.jailbreak = { filtered: false, detected: false };
  if (filteredCategory === null) return results;
  if (filteredCategory === 'jailbreak' || filteredCategory === 'profanity') results[filteredCategory] = { filtered: true, detected: true };
  else results[filteredCategory] = { filtered: true, severity: level };
  return results;
}

/**
 * The answer of an `answer` fault for an operation. Wording: the live service's where it is on
 * record (429 both variants, 500, content filter); 503, 408 and 504 reuse the service's
 * `server_error` shape, as no primary capture of those bodies is known.
 */
export function faultAnswer(spec: FaultSpec, operation: Operation, apiVersion: string, requestId: string): FaultAnswer {
  switch (spec.name) {
    case '429': {
      const retryMs = num(spec, 'retry_after_ms');
      const seconds = Math.ceil(retryMs / 1000);
      const message =
        str(spec, 'variant') === 'high_demand'
          ? `The system is currently experiencing high demand and cannot process your request. Your request exceeds the maximum usage size allowed during peak load. Please retry after ${seconds} seconds. For improved latency reliability, consider switching to Provisioned Throughput.`
          : `Requests to the ${OPERATION_NAME[operation]} Operation under Azure OpenAI API version ${apiVersion || 'unknown'} have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`;
      return { status: 429, body: envelope({ code: '429', message }), headers: retryHeaders(retryMs) };
    }
    case '500':
      return { status: 500, body: serverError(requestId), headers: {} };
    case '503':
      return {
        status: 503,
        body: envelope({ message: `That model is currently overloaded with other requests. ${supportTail(requestId)}`, type: 'server_error', param: null, code: null }),
        headers: retryHeaders(num(spec, 'retry_after_ms')),
      };
    case '408':
      return { status: 408, body: envelope({ code: 'Timeout', message: 'The request timed out before the model finished processing it. Please retry.', type: 'server_error', param: null }), headers: {} };
    case '504':
      return { status: 504, body: envelope({ code: 'GatewayTimeout', message: `The server did not receive a timely response from the model. ${supportTail(requestId)}`, type: 'server_error', param: null }), headers: {} };
    case 'content_filter_prompt': {
      const results = filterResults(str(spec, 'category'), str(spec, 'severity'), true);
      if (operation === 'images') {
        // DALL-E / gpt-image on Azure: `content_policy_violation` with `inner_error` (snake case).
        return {
          status: 400,
          body: envelope({
            code: 'content_policy_violation',
            inner_error: { code: 'ResponsibleAIPolicyViolation', content_filter_results: results },
            message: 'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
            type: 'invalid_request_error',
          }),
          headers: {},
        };
      }
      return {
        status: 400,
        body: envelope({
          message:
            "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
          type: null,
          param: 'prompt',
          code: 'content_filter',
          status: 400,
          innererror: { code: 'ResponsibleAIPolicyViolation', content_filter_result: results },
        }),
        headers: { 'ms-azureml-model-error-reason': 'model_error', 'ms-azureml-model-error-statuscode': '400' },
      };
    }
    default:
      throw new Error(`${spec.name} is not an answer fault`);
  }
}

/** Azure's `content_filters` of a response the output filter stopped: the prompt block safe, the completion block blocked. */
export function responsesContentFilters(spec: FaultSpec): Record<string, unknown>[] {
  const completion = { ...filterResults(str(spec, 'category'), str(spec, 'severity'), false), protected_material_code: { filtered: false, detected: false }, protected_material_text: { filtered: false, detected: false } };
  return [
    { blocked: false, source_type: 'prompt', content_filter_raw: null, content_filter_results: filterResults(null, 'safe', true) },
    { blocked: true, source_type: 'completion', content_filter_raw: null, content_filter_results: completion },
  ];
}

/** A chunk JSON's identity fields, read from the last event before a content-filter cut. */
export interface ChunkMeta {
  readonly id: string;
  readonly created: number;
  readonly model: string;
  readonly systemFingerprint?: string;
}

/** The final event of a stream the output filter stopped: `finish_reason: content_filter` and the category filtered. */
export function filteredFinishEvent(operation: Operation, meta: ChunkMeta, spec: FaultSpec): string {
  const results = filterResults(str(spec, 'category'), str(spec, 'severity'), false);
  const chunk =
    operation === 'completions'
      ? { id: meta.id, object: 'text_completion', created: meta.created, model: meta.model, choices: [{ text: '', index: 0, finish_reason: 'content_filter', logprobs: null, content_filter_results: results }] }
      : {
          choices: [{ content_filter_results: results, delta: {}, finish_reason: 'content_filter', index: 0, logprobs: null }],
          created: meta.created,
          id: meta.id,
          model: meta.model,
          object: 'chat.completion.chunk',
          system_fingerprint: meta.systemFingerprint ?? null,
        };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/**
 * A whole (non-streamed) 200 answer the output filter stopped: chat's message content null,
 * completions' text empty, `finish_reason: content_filter`, the category marked filtered; a
 * Responses API response `incomplete` with `incomplete_details.reason: content_filter`, its
 * messages' text withheld and the completion block of `content_filters` blocked.
 * Undefined when the body is not an answer of that shape (then it is left alone).
 */
export function filteredWholeBody(operation: Operation, body: string, spec: FaultSpec): string | undefined {
  let answer: { choices?: Record<string, unknown>[]; object?: unknown; output?: Record<string, unknown>[] };
  try {
    answer = JSON.parse(body) as typeof answer;
  } catch {
    return undefined;
  }
  if (operation === 'responses') {
    if (answer.object !== 'response' || !Array.isArray(answer.output)) return undefined;
    const output = answer.output.map((item) =>
      item.type === 'message' ? { ...item, status: 'incomplete', content: [{ type: 'output_text', annotations: [], logprobs: [], text: '' }] } : item,
    );
    return JSON.stringify({ ...answer, status: 'incomplete', incomplete_details: { reason: 'content_filter' }, output, content_filters: responsesContentFilters(spec) });
  }
  if (!Array.isArray(answer.choices)) return undefined;
  const results = filterResults(str(spec, 'category'), str(spec, 'severity'), false);
  for (const choice of answer.choices) {
    choice.finish_reason = 'content_filter';
    choice.content_filter_results = results;
    if (operation === 'completions') choice.text = '';
    else if (choice.message && typeof choice.message === 'object') (choice.message as Record<string, unknown>).content = null;
  }
  return JSON.stringify(answer);
}
