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

/** A stream's token events: generated text as a recipe, or a composed answer's events. */
export type TokenEventsPlan = TextPlan | ComposedPlan;

/** Generated text (lorem): per choice a template around corpus ranges — a few numbers for any length. */
export interface TextPlan {
  readonly encoding: EncodingName;
  /** Token events in all (the sum of the choices' token counts). */
  readonly count: number;
  /** Per choice: the event text before and after the token's JSON string. */
  readonly before: readonly string[];
  readonly after: readonly string[];
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

/** The tokens of one choice, one at a time, from its parts. */
class PartsCursor {
  #part = 0;
  /** Next corpus index inside the current range, or -1 when not inside one. */
  #at = -1;
  #first = true;

  constructor(
    private readonly parts: readonly (number | string)[],
    private readonly corpus: LoremCorpus,
  ) {}

  next(): string | undefined {
    const parts = this.parts;
    let token: string;
    if (this.#at >= 0 && this.#at < (parts[this.#part + 1] as number)) token = this.corpus.token(this.#at++);
    else {
      if (this.#at >= 0) {
        this.#part += 2;
        this.#at = -1;
      }
      const part = parts[this.#part];
      if (part === undefined) return undefined;
      if (typeof part === 'string') {
        this.#part++;
        token = part;
      } else {
        this.#at = part;
        return this.next();
      }
    }
    if (this.#first) {
      this.#first = false;
      return token.slice(1);
    }
    return token;
  }
}

/**
 * The events, in stream order: one token of each choice in turn (a choice that has ended is
 * skipped), each `before[i] + JSON string of the token + after[i]`.
 */
export function* tokenEvents(plan: TokenEventsPlan): Generator<string, void, undefined> {
  if ('events' in plan) {
    yield* plan.events;
    return;
  }
  const corpus = corpusFor(getEncoding(plan.encoding));
  const cursors = plan.parts.map((parts) => new PartsCursor(parts, corpus));
  const { before, after } = plan;
  for (let live = cursors.length; live > 0; ) {
    live = 0;
    for (let i = 0; i < cursors.length; i++) {
      const token = cursors[i]!.next();
      if (token === undefined) continue;
      live++;
      yield before[i] + JSON.stringify(token) + after[i];
    }
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
 * A stream being written, as a pull cursor: the writer asks for what is due by `now`, at most
 * about `maxChars` at a time, and writes it only while the socket takes it. State: the plan, a
 * generator over it and an index — the same few hundred bytes for 10 or 100,000 tokens, so a
 * paused reader costs what uWS has buffered for it, not the rest of its stream.
 *
 * Timing: the head is due at once, token event k (counting one position of every choice as one
 * step) at `startMs + firstTokenMs + perTokenMs × floor(k / choices)`, the tail with the last token.
 */
export class StreamCursor {
  readonly #events: Generator<string, void, undefined>;
  readonly #count: number;
  readonly #choices: number;
  #next = 0;
  #headSent = false;
  #done = false;

  constructor(
    private readonly answer: StreamParts,
    private readonly startMs = 0,
    private readonly firstTokenMs = 0,
    private readonly perTokenMs = 0,
  ) {
    this.#events = tokenEvents(answer.tokens);
    this.#count = answer.tokens.count;
    this.#choices = Math.max(1, answer.choices);
  }

  get done(): boolean {
    return this.#done;
  }

  /** When the next token event is due (the tail goes with the last one). */
  nextDueMs(): number {
    return this.startMs + this.firstTokenMs + this.perTokenMs * Math.floor(this.#next / this.#choices);
  }

  /**
   * The events due by `nowMs`, joined, up to about `maxChars` (an event is never split); '' when
   * nothing is due yet. After the chunk that holds the tail, `done` is true.
   */
  take(nowMs: number, maxChars: number): string {
    if (this.#done) return '';
    let chunk = '';
    if (!this.#headSent) {
      this.#headSent = true;
      chunk = this.answer.head.join('');
    }
    while (this.#next < this.#count && chunk.length < maxChars && this.nextDueMs() <= nowMs) {
      const event = this.#events.next();
      if (event.done) {
        this.#next = this.#count; // (a plan whose count overstates its parts still ends)
        break;
      }
      chunk += event.value;
      this.#next++;
    }
    // The tail goes with the last token event (or, with no tokens, when the first would have).
    if (this.#next >= this.#count && chunk.length < maxChars && (this.#count > 0 || this.nextDueMs() <= nowMs)) {
      chunk += this.answer.tail.join('');
      this.#done = true;
    }
    return chunk;
  }

  /** More is due by `nowMs` than the last `take` returned. */
  hasDue(nowMs: number): boolean {
    if (this.#done) return false;
    if (!this.#headSent) return true;
    if (this.#next >= this.#count) return this.#count > 0 || this.nextDueMs() <= nowMs;
    return this.nextDueMs() <= nowMs;
  }

  /** Everything, in chunks of about `maxChars`, as fast as it is pulled (streams without latency). */
  *chunks(maxChars: number): Generator<string, void, undefined> {
    while (!this.#done) yield this.take(Infinity, maxChars);
  }
}
