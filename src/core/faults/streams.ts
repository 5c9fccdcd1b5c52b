/**
 * What the stream faults need to know of a stream's shape, per operation, as data the fault sink
 * (front-end/pipeline/fault-sink.ts) reads: which event is the stream's end (what `no_done` leaves
 * out), which is the answer's own finish (where `content_filter_completion` cuts at the latest),
 * and the events `error_event` and `content_filter_completion` end a stream with.
 *
 * - chat and completions (`data: <chunk>\n\n` … `data: [DONE]\n\n`): the end is `[DONE]`; an
 *   error is one `data: {"error":…}` event (the SDKs raise it as an APIError); a filtered stream
 *   ends with a `finish_reason: content_filter` chunk and `[DONE]`.
 * - the Responses API (`event: <type>\ndata: <json>\n\n`, reference §4.4): the end is the
 *   terminal `response.completed` / `response.incomplete` (and `[DONE]` where set); an error is
 *   `event: error` then `event: response.failed` (the recorded OpenAI stream's order, its error
 *   nested under `error`); a filtered stream ends with `response.incomplete`,
 *   `incomplete_details.reason: "content_filter"`, the partial output and Azure's
 *   `content_filters` with the completion block blocked. Sequence numbers continue the stream's.
 *   The openai SDK's accumulator takes the terminal event's `response` as the final one, so the
 *   partial output is rebuilt here from the events that passed (a `ResponsesTrace`).
 */
import type { Operation } from '../models.js';
import { SSE_DONE } from '../generation/sse.js';
import { filteredFinishEvent, responsesContentFilters, serverErrorMessage, type ChunkMeta, type FaultSpec } from './catalogue.js';

export interface StreamShape {
  /** What the stream's events tell the fault's closing events (ids, the response so far); called for each event passed on. */
  see(event: string): void;
  /** The stream's end marker: what `no_done` leaves out. */
  isEnd(event: string): boolean;
  /** The answer's own finish (or end): `content_filter_completion` cuts here if not sooner. */
  isFinish(event: string): boolean;
  /** `error_event`: the events that replace event `index` and end the stream. */
  errorEnd(requestId: string, index: number): string;
  /** `content_filter_completion`: the events that replace event `index` and end the stream. */
  filteredEnd(spec: FaultSpec, index: number, promptTokens: number): string;
}

const isFinishChunk = (event: string): boolean => /"finish_reason":"/.test(event);

/** Chat and completions chunks. */
class ChunkStream implements StreamShape {
  #meta: ChunkMeta = { id: '', created: 0, model: '' };
  constructor(readonly operation: Operation) {}

  see(event: string): void {
    if (!event.startsWith('data: {')) return;
    try {
      const chunk = JSON.parse(event.slice(6)) as { id?: unknown; created?: unknown; model?: unknown; system_fingerprint?: unknown };
      if (typeof chunk.id === 'string' && chunk.id !== '') {
        this.#meta = { id: chunk.id, created: Number(chunk.created) || 0, model: String(chunk.model ?? ''), systemFingerprint: typeof chunk.system_fingerprint === 'string' ? chunk.system_fingerprint : undefined };
      }
    } catch {
      // not JSON: nothing to learn from it
    }
  }

  isEnd(event: string): boolean {
    return event === SSE_DONE;
  }

  isFinish(event: string): boolean {
    return event === SSE_DONE || isFinishChunk(event);
  }

  errorEnd(requestId: string): string {
    return `data: ${JSON.stringify({ error: { message: serverErrorMessage(requestId), type: 'server_error', param: null, code: null } })}\n\n`;
  }

  filteredEnd(spec: FaultSpec): string {
    return filteredFinishEvent(this.operation, this.#meta, spec) + SSE_DONE;
  }
}

type Json = Record<string, unknown>;
const TERMINAL = /^event: response\.(completed|incomplete)\n/;

/** The Responses API's output so far, rebuilt from the events (what a terminal event written by the fault carries). */
export class ResponsesTrace implements StreamShape {
  #response: Json | undefined;
  readonly #items: Json[] = [];
  #deltas = 0;

  see(event: string): void {
    const at = event.indexOf('\ndata: {');
    if (!event.startsWith('event: ') || at < 0) return;
    let data: Json;
    try {
      data = JSON.parse(event.slice(at + 7)) as Json;
    } catch {
      return;
    }
    const index = typeof data.output_index === 'number' ? data.output_index : -1;
    const item = this.#items[index];
    switch (data.type) {
      case 'response.created':
      case 'response.in_progress':
        this.#response = data.response as Json;
        break;
      case 'response.output_item.added':
      case 'response.output_item.done':
        if (index >= 0) this.#items[index] = structuredClone(data.item as Json);
        break;
      case 'response.content_part.added':
        if (item && Array.isArray(item.content) && typeof data.content_index === 'number') (item.content as Json[])[data.content_index] = structuredClone(data.part as Json);
        break;
      case 'response.output_text.delta': {
        this.#deltas++;
        const part = item && Array.isArray(item.content) && typeof data.content_index === 'number' ? (item.content as Json[])[data.content_index] : undefined;
        if (part) part.text = String(part.text ?? '') + String(data.delta ?? '');
        break;
      }
      case 'response.function_call_arguments.delta':
        this.#deltas++;
        if (item) item.arguments = String(item.arguments ?? '') + String(data.delta ?? '');
        break;
    }
  }

  isEnd(event: string): boolean {
    return event === SSE_DONE || TERMINAL.test(event);
  }

  isFinish(event: string): boolean {
    return this.isEnd(event);
  }

  /** The output so far, every item not finished marked `incomplete`. */
  #output(): Json[] {
    return this.#items.filter((item) => item !== undefined).map((item) => (item.status === 'completed' ? item : { ...item, status: 'incomplete' }));
  }

  errorEnd(requestId: string, index: number): string {
    const message = serverErrorMessage(requestId);
    const error = `event: error\ndata: ${JSON.stringify({ type: 'error', sequence_number: index, error: { type: 'server_error', code: 'server_error', message, param: null } })}\n\n`;
    const response = { ...this.#response, status: 'failed', error: { code: 'server_error', message }, output: this.#output(), usage: null };
    return error + `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', response, sequence_number: index + 1 })}\n\n`;
  }

  filteredEnd(spec: FaultSpec, index: number, promptTokens: number): string {
    const output = this.#output();
    const response = {
      ...this.#response,
      status: 'incomplete',
      completed_at: null,
      incomplete_details: { reason: 'content_filter' },
      output,
      usage: { input_tokens: promptTokens, input_tokens_details: { cached_tokens: 0 }, output_tokens: this.#deltas, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: promptTokens + this.#deltas },
      content_filters: responsesContentFilters(spec),
    };
    return `event: response.incomplete\ndata: ${JSON.stringify({ type: 'response.incomplete', response, sequence_number: index })}\n\n`;
  }
}

/** The stream shape of an operation's answers (one per faulted stream: it keeps what it saw). */
export function streamShape(operation: Operation): StreamShape {
  return operation === 'responses' ? new ResponsesTrace() : new ChunkStream(operation);
}
