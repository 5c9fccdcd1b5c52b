/**
 * A stream's token events as a plan, not as strings: for each choice, its tokens as corpus ranges
 * (lorem.ts `parts`) and the event text around a token. The events are rendered one at a time as
 * the writer pulls them, so a stream of any length holds a few hundred bytes until it is read —
 * however slow the reader — and the plan is plain data, cheap to send back from a pool thread
 * (4,000 token events were ~1.6 MB as strings; their plan is a few numbers and two templates).
 *
 * Rendering is deterministic: the corpus of an encoding is the same in every thread.
 */
import type { EncodingName } from '../models.js';
import { getEncoding } from '../tokens/tokenizer.js';
import { corpusFor, type LoremCorpus } from './lorem.js';
import { STREAM_CHUNK_SIZE } from './sse.js';

/** A stream's token events: generated text as a recipe, or a composed answer's events. */
export type TokenEventsPlan = TextPlan | ComposedPlan;

/** Generated text (lorem): per choice a template around corpus ranges — a few numbers for any length. */
export interface TextPlan {
  readonly encoding: EncodingName;
  /** Token events in all (the sum of the choices' token counts). */
  readonly count: number;
  /**
   * Per choice: the event text before and after the token's JSON string — the same in every
   * stream of a kind (encoded once per thread) — and the text every event of this stream ends
   * with (its id and time: encoded once per stream). An event is `before[i]`, the token,
   * `after[i]`, `frame`.
   */
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly frame: string;
  /** Per choice: its tokens as corpus ranges and filler strings (Generated.parts). */
  readonly parts: readonly (readonly (number | string)[])[];
}

/**
 * A text the simulator composed — tool-call deltas (tools.ts `toolStreamEvents`), a structured
 * JSON answer (pieces.ts) — as its token events, already rendered and interleaved in stream order.
 * Pre-rendered on purpose: these texts are not corpus ranges, and they are bounded by the
 * request's completion limit (tool arguments, one JSON document), unlike a lorem answer's length.
 */
export interface ComposedPlan {
  /** The number of token events (= events.length): pacing gives each one a token's latency. */
  readonly count: number;
  readonly events: readonly string[];
}

/** A composed plan from each choice's events: choices take turns, one event each, as text choices do. */
export function composedPlan(perChoice: readonly (readonly string[])[]): ComposedPlan {
  const events: string[] = [];
  for (let k = 0, longest = Math.max(0, ...perChoice.map((e) => e.length)); k < longest; k++) {
    for (const e of perChoice) if (k < e.length) events.push(e[k]!);
  }
  return { count: events.length, events };
}

/** The tokens of one choice, one at a time, from its parts, as their JSON strings in UTF-8. */
class PartsCursor {
  #part = 0;
  /** Next corpus index inside the current range, or -1 when not inside one. */
  #at = -1;
  #first = true;

  constructor(
    private readonly parts: readonly (number | string)[],
    private readonly corpus: LoremCorpus,
    private readonly byId: (Buffer | undefined)[],
  ) {}

  next(): Buffer | undefined {
    const parts = this.parts;
    for (;;) {
      if (this.#at >= 0) {
        if (this.#at < (parts[this.#part + 1] as number)) {
          const i = this.#at++;
          // The answer's first token is without its leading space: not a corpus token.
          if (this.#first) return this.#firstToken(this.corpus.token(i));
          const id = this.corpus.tokenId(i);
          return (this.byId[id] ??= Buffer.from(JSON.stringify(this.corpus.token(i))));
        }
        this.#part += 2;
        this.#at = -1;
      }
      const part = parts[this.#part];
      if (part === undefined) return undefined;
      if (typeof part === 'number') {
        this.#at = part;
        continue;
      }
      this.#part++;
      return this.#first ? this.#firstToken(part) : jsonBytes(part);
    }
  }

  #firstToken(token: string): Buffer {
    this.#first = false;
    return jsonBytes(token.slice(1));
  }
}

/**
 * The events, in stream order: one token of each choice in turn (a choice that has ended is
 * skipped), each `before[i] + JSON string of the token + after[i] + frame`, as strings (how the tests
 * read a plan), rendered by the same `EventBytes` as a stream's cursor.
 */
export function* tokenEvents(plan: TokenEventsPlan): Generator<string, void, undefined> {
  if ('events' in plan) {
    yield* plan.events;
    return;
  }
  const events = new TextEventBytes(plan);
  for (let bytes = events.peek(); bytes >= 0; bytes = events.peek()) {
    const out = Buffer.allocUnsafe(bytes);
    events.write(out, 0);
    yield out.toString('utf8');
  }
}

/** What a stream writer needs of an answer (a StreamAnswer is one). */
export interface StreamParts {
  readonly head: readonly string[];
  readonly tokens: TokenEventsPlan;
  readonly tail: readonly string[];
  /** Choices interleaved in the token events (one event of each per token position). */
  readonly choices: number;
}

/**
 * The bytes every cursor of the thread renders into: a chunk is written to the socket (which
 * copies it) before the next one is rendered, so one buffer serves every stream, and rendering
 * allocates nothing but the view it returns. Grown only for an event larger than itself.
 */
let scratch = Buffer.allocUnsafeSlow(4 * STREAM_CHUNK_SIZE);
const NOTHING = new Uint8Array(0);

/**
 * JSON strings of tokens, as UTF-8, made once per distinct token. A corpus token's are kept by its
 * id (`corpusTokenBytes`: an array lookup per token event); these are the others — an answer's
 * first token (without its leading space) and the fillers. Bounded anyway (they are the
 * simulator's strings, but nothing here depends on that).
 */
const tokenJson = new Map<string, Buffer>();
function jsonBytes(token: string): Buffer {
  let bytes = tokenJson.get(token);
  if (bytes === undefined) {
    bytes = Buffer.from(JSON.stringify(token));
    if (tokenJson.size < 4096) tokenJson.set(token, bytes);
  }
  return bytes;
}

/** Per corpus, the JSON string of each of its ~100 distinct tokens as UTF-8, by id (LoremCorpus.tokenId), made when first met. */
const corpusTokenBytes = new Map<LoremCorpus, (Buffer | undefined)[]>();
function tokenBytesOf(corpus: LoremCorpus): (Buffer | undefined)[] {
  let byId = corpusTokenBytes.get(corpus);
  // Filled, not sparse: a sparse array would be a dictionary to V8.
  if (byId === undefined) corpusTokenBytes.set(corpus, (byId = new Array<Buffer | undefined>(corpus.distinct).fill(undefined)));
  return byId;
}

/**
 * An event's text around the token, as UTF-8, made once: it is the same in every stream of a kind
 * (the id and the time are in the stream's frame), so a stream encodes only its frame. Bounded
 * like the token strings.
 */
const templates = new Map<string, Buffer>();
function templateBytes(text: string): Buffer {
  let bytes = templates.get(text);
  if (bytes === undefined) {
    bytes = Buffer.from(text);
    if (templates.size < 256) templates.set(text, bytes);
  }
  return bytes;
}

/** A plan's events one at a time, as bytes: how big the next is, then write it. */
interface EventBytes {
  /** The next event's size in bytes; -1 when there is none. */
  peek(): number;
  /** Writes the event `peek` measured at `at`; returns where it ends. */
  write(out: Buffer, at: number): number;
}

/** Generated text: `before[i]`, the token's JSON string, `after[i]`, the frame; choices in turn (an ended one skipped). */
class TextEventBytes implements EventBytes {
  readonly #cursors: PartsCursor[];
  readonly #before: Buffer[];
  readonly #after: Buffer[];
  readonly #frame: Buffer;
  #choice = -1;
  #pending: Buffer | undefined;

  constructor(plan: TextPlan) {
    const corpus = corpusFor(getEncoding(plan.encoding));
    const byId = tokenBytesOf(corpus);
    this.#cursors = plan.parts.map((parts) => new PartsCursor(parts, corpus, byId));
    this.#before = plan.before.map(templateBytes);
    this.#after = plan.after.map(templateBytes);
    this.#frame = Buffer.from(plan.frame);
  }

  peek(): number {
    if (this.#pending === undefined) {
      const n = this.#cursors.length;
      for (let tries = 0; tries < n && this.#pending === undefined; tries++) {
        this.#choice = this.#choice + 1 === n ? 0 : this.#choice + 1;
        this.#pending = this.#cursors[this.#choice]!.next();
      }
      if (this.#pending === undefined) return -1;
    }
    return this.#before[this.#choice]!.length + this.#pending.length + this.#after[this.#choice]!.length + this.#frame.length;
  }

  write(out: Buffer, at: number): number {
    const before = this.#before[this.#choice]!;
    const token = this.#pending!;
    const after = this.#after[this.#choice]!;
    out.set(before, at);
    out.set(token, (at += before.length));
    out.set(after, (at += token.length));
    out.set(this.#frame, (at += after.length));
    this.#pending = undefined;
    return at + this.#frame.length;
  }
}

/** A composed plan's events (already strings). */
class ComposedEventBytes implements EventBytes {
  #next = 0;
  constructor(private readonly events: readonly string[]) {}

  peek(): number {
    return this.#next < this.events.length ? Buffer.byteLength(this.events[this.#next]!) : -1;
  }

  write(out: Buffer, at: number): number {
    return at + out.write(this.events[this.#next++]!, at);
  }
}

/** The byte length of strings written one after another. */
function byteLength(texts: readonly string[]): number {
  let n = 0;
  for (const t of texts) n += Buffer.byteLength(t);
  return n;
}

/** `texts` written at `at` (the caller checked they fit); where they end. */
function writeAll(out: Buffer, at: number, texts: readonly string[]): number {
  for (const t of texts) at += out.write(t, at);
  return at;
}

/** Room for `bytes` at `at` in the scratch buffer, which grows only for a chunk's first event. */
function room(at: number, bytes: number): boolean {
  if (at + bytes <= scratch.length) return true;
  if (at > 0) return false;
  scratch = Buffer.allocUnsafeSlow(bytes);
  views = noViews();
  return true;
}

/**
 * The views `chunk` returns, one per length, made once: a paced stream's chunk is one event of a
 * few hundred bytes, and a new view per event was most of what a token event allocated (the
 * young-generation garbage that the scavenges of a thread holding 1,000 streams are made of).
 * Chunks longer than this (several events at once) get a view each.
 */
const VIEWS_CACHED = 4096;
// Filled, not sparse: a sparse array would be a dictionary to V8.
const noViews = (): (Uint8Array | undefined)[] => new Array<Uint8Array | undefined>(VIEWS_CACHED).fill(undefined);
let views = noViews();
function view(length: number): Uint8Array {
  if (length >= VIEWS_CACHED) return new Uint8Array(scratch.buffer, scratch.byteOffset, length);
  return (views[length] ??= new Uint8Array(scratch.buffer, scratch.byteOffset, length));
}

/**
 * A stream being written, as a pull cursor: the writer asks for what is due by `now`, at most
 * about `maxBytes` at a time, and writes it only while the socket takes it. State: the plan, a
 * position in it and an index — the same few hundred bytes for 10 or 100,000 tokens, so a paused
 * reader costs what uWS has buffered for it, not the rest of its stream.
 *
 * Events are rendered as bytes, never as strings: each event is its two templates (encoded once
 * per thread) around the token's JSON string (encoded once per distinct token), then the stream's
 * frame (encoded once per stream), copied into the thread's scratch buffer — no string
 * concatenation, no UTF-8 conversion in uWS.
 *
 * Timing: the head is due at once, token event k (counting one position of every choice as one
 * step) at `startMs + firstTokenMs + perTokenMs × floor(k / choices)`, the tail with the last token.
 */
export class StreamCursor {
  readonly #events: EventBytes;
  readonly #count: number;
  readonly #choices: number;
  /** Until it is written: a stream's head is not kept for the rest of its life (what a live stream holds is what scavenges copy). */
  #head: readonly string[] | undefined;
  readonly #tail: readonly string[];
  #next = 0;
  #done = false;

  constructor(
    answer: StreamParts,
    private readonly startMs = 0,
    private readonly firstTokenMs = 0,
    private readonly perTokenMs = 0,
  ) {
    this.#head = answer.head;
    this.#tail = answer.tail;
    const plan = answer.tokens;
    this.#events = 'events' in plan ? new ComposedEventBytes(plan.events) : new TextEventBytes(plan);
    this.#count = plan.count;
    this.#choices = Math.max(1, answer.choices);
  }

  get done(): boolean {
    return this.#done;
  }

  /** Token events taken so far. */
  get tokensTaken(): number {
    return this.#next;
  }

  /** When the next token event is due (the tail goes with the last one). */
  nextDueMs(): number {
    return this.startMs + this.firstTokenMs + this.perTokenMs * Math.floor(this.#next / this.#choices);
  }

  /**
   * The events due by `nowMs`, as UTF-8 bytes, up to about `maxBytes` (an event is never split);
   * empty when nothing is due yet. After the chunk that holds the tail, `done` is true.
   *
   * The bytes are a view of the thread's scratch buffer, valid until the next `chunk` of any
   * stream (the same view object comes back for the same length): write them (uWS copies) or copy
   * them before asking again.
   */
  chunk(nowMs: number, maxBytes = STREAM_CHUNK_SIZE): Uint8Array {
    if (this.#done) return NOTHING;
    let at = 0;
    const head = this.#head;
    if (head !== undefined) {
      if (!room(0, byteLength(head))) return NOTHING;
      at = writeAll(scratch, 0, head);
      this.#head = undefined;
    }
    while (this.#next < this.#count && at < maxBytes && this.nextDueMs() <= nowMs) {
      const bytes = this.#events.peek();
      if (bytes < 0) {
        this.#next = this.#count; // (a plan whose count overstates its parts still ends)
        break;
      }
      if (!room(at, bytes)) break;
      at = this.#events.write(scratch, at);
      this.#next++;
    }
    // The tail goes with the last token event (or, with no tokens, when the first would have).
    if (this.#next >= this.#count && at < maxBytes && (this.#count > 0 || this.nextDueMs() <= nowMs)) {
      const tail = this.#tail;
      if (room(at, byteLength(tail))) {
        at = writeAll(scratch, at, tail);
        this.#done = true;
      }
    }
    return at === 0 ? NOTHING : view(at);
  }

  /** `chunk` as text (tests, and writers that keep what they are given). */
  take(nowMs: number, maxBytes = STREAM_CHUNK_SIZE): string {
    const bytes = this.chunk(nowMs, maxBytes);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  }

  /** More is due by `nowMs` than the last `chunk` returned. */
  hasDue(nowMs: number): boolean {
    if (this.#done) return false;
    if (this.#head !== undefined) return true;
    if (this.#next >= this.#count) return this.#count > 0 || this.nextDueMs() <= nowMs;
    return this.nextDueMs() <= nowMs;
  }
}
