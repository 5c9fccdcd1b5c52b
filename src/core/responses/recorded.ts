/**
 * Record and replay modes: the stored object of a recorded `POST …/responses`, so that a replayed
 * response can be retrieved, listed, deleted and continued (`previous_response_id`) like a
 * generated one, whether or not its `GET` was recorded too. The response is the JSON answer, or a
 * stream's terminal event's `response`.
 */
import { validateResponses } from './request.js';
import { type ConversationMessage, type JsonObject, type StoredResponse } from './store.js';

const TERMINAL = /^data: (\{"type":"response\.(?:completed|incomplete|failed)".*)$/m;

function responseOf(body: string): JsonObject | undefined {
  try {
    if (body.trimStart().startsWith('{')) return JSON.parse(body) as JsonObject;
    const terminal = [...body.split('\n\n')].reverse().map((frame) => TERMINAL.exec(frame)).find((m) => m);
    return terminal ? ((JSON.parse(terminal[1]!) as { response: JsonObject }).response) : undefined;
  } catch {
    return undefined;
  }
}

function outputMessages(output: unknown): ConversationMessage[] {
  if (!Array.isArray(output)) return [];
  const messages: ConversationMessage[] = [];
  for (const item of output as JsonObject[]) {
    if (item.type === 'message' && Array.isArray(item.content)) {
      messages.push({ role: 'assistant', content: (item.content as JsonObject[]).map((c) => (typeof c.text === 'string' ? c.text : '')).join('') });
    } else if (item.type === 'function_call') {
      messages.push({ role: 'assistant', content: '', tool_calls: [{ id: String(item.call_id), type: 'function', function: { name: String(item.name), arguments: String(item.arguments) } }] });
    }
  }
  return messages;
}

/** The record to store for a recorded exchange; undefined when it was not stored (or is not a response). */
export function storedFromRecorded(requestBody: string, responseBody: string, deployment: string, nowMs: number, ttlSeconds: number): StoredResponse | undefined {
  const response = responseOf(responseBody);
  if (!response || typeof response.id !== 'string' || response.object !== 'response' || response.store === false) return undefined;
  let inputItems: readonly JsonObject[] = [];
  let messages: readonly ConversationMessage[] = [];
  try {
    const req = validateResponses(JSON.parse(requestBody));
    inputItems = req.inputItems;
    messages = req.messages;
  } catch {
    // a request the simulator would refuse was still answered upstream: store it without its input
  }
  return ({
    id: response.id,
    deployment,
    response,
    startsAt: nowMs,
    completesAt: nowMs,
    inputItems,
    conversation: [...messages, ...outputMessages(response.output)],
    expiresAt: nowMs + ttlSeconds * 1000,
  });
}
