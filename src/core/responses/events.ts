/**
 * The Responses API's event stream, as the service sends it (reference §4.4): `event: <type>` and
 * `data: <json>` per event, `sequence_number` from 0, in this order —
 *
 *   response.created, response.in_progress,
 *   [reasoning: output_item.added, output_item.done]
 *   per item: output_item.added,
 *     message:       content_part.added, output_text.delta…, output_text.done, content_part.done
 *     function_call: function_call_arguments.delta…, function_call_arguments.done
 *   output_item.done,
 *   response.completed (or response.incomplete), [data: [DONE] if set]
 *
 * Split for pacing like chat's streams: `head` (everything before the first token), one event per
 * token in `tokens`, `tail`. Events between two items (one's `.done`s, the next one's `.added`s)
 * travel with the next item's first token, so each token event is still one token's latency
 * apart. The openai SDK's accumulator (`responses.stream()`) checks all of this: in-order
 * `output_index`, `item_id` equal to the item's id, `content_index` present, no unknown type.
 * Per token only the delta's JSON string and the sequence number are serialised.
 */
import type { PlannedItem } from './plan.js';
import type { JsonObject } from './store.js';

const frame = (type: string, json: string): string => `event: ${type}\ndata: ${json}\n\n`;
const j = JSON.stringify;

/** `obfuscation` pads deltas to hide their length (the service's is random; any string is accepted). */
const OBFUSCATION = 'aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF';

export interface ResponseStream {
  readonly head: readonly string[];
  readonly tokens: readonly string[];
  readonly tail: readonly string[];
}

export function responseStream(
  inProgress: JsonObject,
  final: JsonObject,
  /** `final`'s JSON, already written for the record. */
  finalJson: string,
  reasoning: JsonObject | undefined,
  items: readonly PlannedItem[],
  obfuscation: boolean,
  done: boolean,
): ResponseStream {
  let seq = 0;
  const event = (type: string, fields: string): string => frame(type, `{"type":"${type}",${fields}"sequence_number":${seq++}}`);
  const head: string[] = [event('response.created', `"response":${j(inProgress)},`), event('response.in_progress', `"response":${j(inProgress)},`)];
  const tokens: string[] = [];
  let pending = head; // where the next non-token events go: the head, then the next token event's prefix
  let prefix = '';
  const emit = (text: string): void => {
    if (pending === head) head.push(text);
    else prefix += text;
  };
  let index = 0;
  if (reasoning) {
    emit(event('response.output_item.added', `"output_index":0,"item":${j(reasoning)},`));
    emit(event('response.output_item.done', `"output_index":0,"item":${j(reasoning)},`));
    index = 1;
  }
  for (const item of items) {
    const at = `"item_id":"${item.id}","output_index":${index},`;
    if (item.kind === 'message') {
      emit(event('response.output_item.added', `"output_index":${index},"item":{"id":"${item.id}","type":"message","status":"in_progress","content":[],"role":"assistant"},`));
      emit(event('response.content_part.added', `${at}"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""},`));
    } else {
      emit(event('response.output_item.added', `"output_index":${index},"item":{"id":"${item.id}","type":"function_call","status":"in_progress","arguments":"","call_id":"${item.callId}","name":${j(item.name)}},`));
    }
    const type = item.kind === 'message' ? 'response.output_text.delta' : 'response.function_call_arguments.delta';
    const before = `event: ${type}\ndata: {"type":"${type}",${at}${item.kind === 'message' ? '"content_index":0,' : ''}"delta":`;
    const logprobs = item.kind === 'message' ? ',"logprobs":[]' : '';
    for (const piece of item.pieces) {
      const pad = obfuscation ? `,"obfuscation":"${OBFUSCATION.slice(0, 1 + ((piece.length * 7) % 24))}"` : '';
      tokens.push(prefix + before + j(piece) + logprobs + pad + `,"sequence_number":${seq++}}\n\n`);
      prefix = '';
      pending = tokens;
    }
    if (item.kind === 'message') {
      emit(event('response.output_text.done', `${at}"content_index":0,"text":${j(item.text)},"logprobs":[],`));
      emit(event('response.content_part.done', `${at}"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":${j(item.text)}},`));
    } else {
      emit(event('response.function_call_arguments.done', `${at}"name":${j(item.name)},"arguments":${j(item.arguments)},`));
    }
    emit(event('response.output_item.done', `"output_index":${index},"item":${j(item.done)},`));
    index++;
  }
  const terminal = final.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
  const tail: string[] = [];
  // What followed the last token (its item's .done events) leads the tail.
  if (prefix !== '') tail.push(prefix);
  tail.push(event(terminal, `"response":${finalJson},`));
  if (done) tail.push('data: [DONE]\n\n');
  return { head, tokens, tail };
}
