/**
 * An independent check of a Responses event stream against the rules strict clients apply
 * (openai-node v7's response accumulator, reference §4.4): known event types only, sequence
 * numbers 0, 1, 2 …, output items added in `output_index` order with non-empty unique ids,
 * every delta's `item_id` equal to its item's id, `content_index` on content events, `call_id` on
 * function calls, a terminal event carrying the response — and the deltas adding up to the
 * `.done` texts and the final output. Written from the rules, not from the simulator's code.
 */
const KNOWN = new Set([
  'response.created', 'response.in_progress', 'response.queued', 'response.output_item.added', 'response.output_item.done',
  'response.content_part.added', 'response.content_part.done', 'response.output_text.delta', 'response.output_text.done',
  'response.function_call_arguments.delta', 'response.function_call_arguments.done', 'response.reasoning_summary_part.added',
  'response.reasoning_summary_part.done', 'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.done',
  'response.refusal.delta', 'response.refusal.done', 'response.output_text.annotation.added', 'response.completed',
  'response.incomplete', 'response.failed', 'error', 'keepalive',
]);
const TERMINAL = new Set(['response.completed', 'response.incomplete', 'response.failed']);

type Event = { type: string; sequence_number: number; [k: string]: unknown };

/** Parses `event:`/`data:` frames; throws on a frame whose two names differ. */
export function parseEventStream(text: string): Event[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '' && frame.trim() !== 'data: [DONE]')
    .map((frame) => {
      const lines = frame.split('\n');
      const name = lines.find((l) => l.startsWith('event: '))?.slice(7);
      const data = JSON.parse(lines.find((l) => l.startsWith('data: '))!.slice(6)) as Event;
      if (name !== data.type) throw new Error(`event line ${name} but data type ${data.type}`);
      return data;
    });
}

/** Throws with the first rule an event breaks; returns the terminal event's response. */
export function checkEventSequence(events: readonly Event[]): Record<string, unknown> {
  const items: { id: string; type: string; text: string; args: string; parts: number }[] = [];
  let terminal: Record<string, unknown> | undefined;
  events.forEach((e, i) => {
    const where = `event ${i} (${e.type})`;
    if (!KNOWN.has(e.type)) throw new Error(`${where}: unknown event type`);
    if (e.sequence_number !== i) throw new Error(`${where}: sequence_number ${e.sequence_number}, expected ${i}`);
    if (terminal) throw new Error(`${where}: after the terminal event`);
    if (TERMINAL.has(e.type)) {
      if (typeof e.response !== 'object' || e.response === null) throw new Error(`${where}: no response`);
      terminal = e.response as Record<string, unknown>;
      return;
    }
    if (e.type === 'response.output_item.added') {
      const item = e.item as { id?: string; type: string; call_id?: string };
      if (e.output_index !== items.length) throw new Error(`${where}: output_index ${String(e.output_index)}, expected ${items.length}`);
      if (!item.id) throw new Error(`${where}: item without id`);
      if (items.some((x) => x.id === item.id)) throw new Error(`${where}: duplicate item id ${item.id}`);
      if (item.type === 'function_call' && !item.call_id) throw new Error(`${where}: function call without call_id`);
      items.push({ id: item.id, type: item.type, text: '', args: '', parts: 0 });
      return;
    }
    if (!('output_index' in e)) return;
    const item = items[e.output_index as number];
    if (!item) throw new Error(`${where}: no item at output_index ${String(e.output_index)}`);
    if ('item_id' in e && e.item_id !== item.id) throw new Error(`${where}: item_id ${String(e.item_id)} is not the item's id ${item.id}`);
    if (e.type.startsWith('response.content_part') || e.type.startsWith('response.output_text')) {
      if (typeof e.content_index !== 'number') throw new Error(`${where}: no content_index`);
      if (e.type === 'response.content_part.added') item.parts++;
      else if (e.content_index >= item.parts) throw new Error(`${where}: content_index ${e.content_index} before its part was added`);
    }
    if (e.type === 'response.output_text.delta') item.text += e.delta as string;
    if (e.type === 'response.output_text.done' && e.text !== item.text) throw new Error(`${where}: text is not the deltas joined`);
    if (e.type === 'response.function_call_arguments.delta') item.args += e.delta as string;
    if (e.type === 'response.function_call_arguments.done' && e.arguments !== item.args) throw new Error(`${where}: arguments are not the deltas joined`);
    if (e.type === 'response.output_item.done' && (e.item as { id: string }).id !== item.id) throw new Error(`${where}: done item id differs`);
  });
  if (!terminal) throw new Error('no terminal event');
  const output = terminal.output as { id: string }[];
  if (output.map((o) => o.id).join() !== items.map((x) => x.id).join()) throw new Error('the final output is not the streamed items');
  return terminal;
}
