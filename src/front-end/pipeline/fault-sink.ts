/**
 * The `write` faults (core/faults/catalogue.ts): a decorator around the exchange's sink, set only
 * on a request that got one, so the answer is produced as usual — generated, replayed or relayed
 * from upstream in record mode — and changed as it is written. Streams are handled event by event
 * (`data: …\n\n`), whatever chunks the producer writes, so "after chunk k" means the same in every
 * mode: k counts the stream's events from its first (AOAI's prompt-filter event), `[DONE]` included.
 *
 * - `ttft`: the head (and everything after it) waits `ms` more;
 * - `stall`: events from the k-th on wait `ms` (those due meanwhile follow at once);
 * - `disconnect`: the connection is cut before event k, or at `after_ms` after arrival (the
 *   stream's end and `[DONE]` are held back until then); a whole answer is cut before its head;
 * - `malformed_chunk`: event k becomes half of itself (invalid JSON); a whole 200 body is cut in two;
 * - `no_done`: the stream's end is left out (`data: [DONE]`; the Responses API's terminal
 *   `response.completed`), the stream ends cleanly;
 * - `error_event`: event k is the operation's error event(s), then the stream ends;
 * - `content_filter_completion`: the stream stops at event k (or at the answer's own finish, if
 *   sooner) with the operation's filtered end (chat: a `finish_reason: content_filter` event and
 *   `[DONE]`; Responses: `response.incomplete`); a whole 200 answer is filtered.
 * What each operation's stream looks like is core/faults/streams.ts.
 */
import { FAULTS, filteredWholeBody, num, type FaultSpec } from '../../core/faults/catalogue.js';
import { streamShape, type StreamShape } from '../../core/faults/streams.js';
import { StringDecoder } from 'node:string_decoder';
import type { Operation } from '../../core/models.js';
import type { Log } from '../../log.js';
import type { Exchange, HeaderList, HeaderRecord, ResponseSink } from '../http/exchange.js';
import { guard } from '../http/fault.js';
import { dropConnection } from '../http/respond.js';
import type { Scheduler } from '../scheduler.js';

export const FAULT_HEADER = 'x-simulator-fault-injected';

/** The simulator's own headers or a foreign list, with the fault's header added. */
export function withFaultHeader(name: string, type: string | undefined, headers: HeaderRecord | HeaderList | undefined): HeaderRecord | HeaderList {
  if (type === undefined) return [...((headers ?? []) as HeaderList), [FAULT_HEADER, name]];
  return { ...((headers ?? {}) as HeaderRecord), [FAULT_HEADER]: name };
}

/** Event k made invalid: its data cut in half (an `event:` line, if any, kept whole). */
function malformed(event: string): string {
  const data = Math.max(0, event.indexOf('data: ')) + 6;
  return event.slice(0, data + Math.max(1, Math.floor((event.length - 2 - data) / 2))) + '\n\n';
}

export class FaultSink implements ResponseSink {
  #events = 0;
  #partial = '';
  #decoder: StringDecoder | undefined;
  /** Set once the fault ended or cut the stream: what the producer writes after is dropped. */
  #over = false;
  #holdUntil = 0;
  #queue: (() => void)[] = [];
  #flushing = false;
  /** What the operation's stream looks like (its end, its error and filtered endings). */
  readonly #shape: StreamShape;
  /** disconnect by time: the stream's end waits for the cut. */
  readonly #cutAt: number | undefined;

  constructor(
    readonly inner: ResponseSink,
    readonly fault: FaultSpec,
    readonly operation: Operation,
    readonly scheduler: Scheduler,
    readonly log: Log,
    ex: Exchange,
  ) {
    this.#shape = streamShape(operation);
    if (fault.name === 'ttft') this.#holdUntil = ex.startedAt + num(fault, 'ms');
    if (fault.name === 'disconnect' && num(fault, 'after_ms') > 0) {
      this.#cutAt = ex.startedAt + num(fault, 'after_ms');
      scheduler.at(this.#cutAt, guard(log, ex, () => this.#emit(() => this.#cut(ex))));
    }
  }

  whole(ex: Exchange, status: number, type: string | undefined, body: string | Uint8Array, headers?: HeaderRecord | HeaderList, closeConnection?: boolean): void {
    if (this.#over) return;
    const { fault } = this;
    let out = body;
    if (status === 200 && fault.name === 'malformed_chunk') {
      const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
      out = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
    } else if (status === 200 && fault.name === 'content_filter_completion') {
      out = filteredWholeBody(this.operation, typeof body === 'string' ? body : Buffer.from(body).toString('utf8'), fault) ?? body;
    }
    if (fault.name === 'disconnect') {
      this.#over = true;
      if (this.#cutAt === undefined) return dropConnection(ex);
      ex.ready();
      return; // the timer set in the constructor cuts it
    }
    if (fault.name === 'stall') this.#hold(ex, num(fault, 'ms'));
    // The wait is the fault's, not the simulator's own time.
    if (this.#holdUntil > this.scheduler.now()) ex.ready();
    const all = withFaultHeader(fault.name, type, headers);
    this.#emit(() => this.inner.whole(ex, status, type, out, all, closeConnection));
  }

  start(ex: Exchange, status: number, type: string | undefined, headers?: HeaderRecord | HeaderList): boolean {
    if (this.#over) return false;
    const all = withFaultHeader(this.fault.name, type, headers);
    if (this.#holdUntil > this.scheduler.now()) {
      ex.ready();
      this.#emit(() => {
        if (!this.inner.start(ex, status, type, all)) this.#over = true;
      });
      return true;
    }
    return this.inner.start(ex, status, type, all);
  }

  data(ex: Exchange, chunk: string | Uint8Array): boolean {
    if (this.#over) return true;
    let text: string;
    if (typeof chunk === 'string') text = chunk;
    else text = (this.#decoder ??= new StringDecoder('utf8')).write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.#partial += text;
    let out = '';
    let end: number;
    while (!this.#over && (end = this.#partial.indexOf('\n\n')) >= 0) {
      const event = this.#partial.slice(0, end + 2);
      this.#partial = this.#partial.slice(end + 2);
      out = this.#event(ex, event, out);
    }
    if (out !== '') this.#emit(() => this.inner.data(ex, out));
    return true;
  }

  end(ex: Exchange): void {
    if (this.#over) return;
    if (this.#partial !== '') {
      const rest = this.#event(ex, this.#partial, '');
      this.#partial = '';
      if (rest !== '') this.#emit(() => this.inner.data(ex, rest));
    }
    if (this.#over) return;
    // disconnect by time: the end (and [DONE]) never come; the cut does.
    if (this.#cutAt !== undefined) return;
    this.#over = true;
    this.#emit(() => this.inner.end(ex));
  }

  abandon(ex: Exchange): void {
    this.#over = true;
    this.inner.abandon(ex);
  }

  /** One event of the stream: what to write for it (appended to `out`). */
  #event(ex: Exchange, event: string, out: string): string {
    const i = this.#events++;
    const { fault } = this;
    switch (fault.name) {
      case 'stall':
        if (i === num(fault, 'after_chunks')) {
          if (out !== '') this.#emit(() => this.inner.data(ex, out));
          this.#hold(ex, num(fault, 'ms'));
          return event;
        }
        return out + event;
      case 'disconnect':
        if (this.#cutAt === undefined && i === num(fault, 'after_chunks')) {
          const before = out;
          if (before !== '') this.#emit(() => this.inner.data(ex, before));
          this.#over = true;
          this.#emit(() => this.#cut(ex));
          return '';
        }
        if (this.#cutAt !== undefined && this.#shape.isEnd(event)) return out;
        return out + event;
      case 'malformed_chunk':
        return i === num(fault, 'at_chunk') ? out + malformed(event) : out + event;
      case 'no_done':
        return this.#shape.isEnd(event) ? out : out + event;
      case 'error_event':
        if (i === num(fault, 'after_chunks') || this.#shape.isEnd(event)) return this.#finish(ex, out + this.#shape.errorEnd(ex.requestId, i));
        this.#shape.see(event);
        return out + event;
      case 'content_filter_completion':
        // Not before chat's first content chunk (0: the prompt filter's event, 1: the role's).
        if ((i >= num(fault, 'after_chunks') && i >= 2) || this.#shape.isFinish(event)) return this.#finish(ex, out + this.#shape.filteredEnd(fault, i, ex.promptTokens));
        this.#shape.see(event);
        return out + event;
      default:
        return out + event;
    }
  }

  /** Writes `out`, then ends the stream: what the producer writes after is dropped. */
  #finish(ex: Exchange, out: string): string {
    this.#over = true;
    this.#emit(() => {
      this.inner.data(ex, out);
      this.inner.end(ex);
    });
    return '';
  }

  /**
   * Cuts the connection on the scheduler's next turn: inside a uWS callback the events written
   * just before are still corked, and closing now would discard them with the socket.
   */
  #cut(ex: Exchange): void {
    this.#over = true;
    this.scheduler.at(this.scheduler.now(), guard(this.log, ex, () => dropConnection(ex)));
  }

  /** Everything written from now on waits `ms` more. */
  #hold(ex: Exchange, ms: number): void {
    this.#holdUntil = Math.max(this.#holdUntil, this.scheduler.now()) + ms;
    ex.ready();
  }

  /** Runs `write` now, or after the hold in order with what is already waiting. */
  #emit(write: () => void): void {
    if (this.#queue.length === 0 && !this.#flushing && this.#holdUntil <= this.scheduler.now()) return write();
    this.#queue.push(write);
    if (this.#queue.length === 1 && !this.#flushing) this.scheduler.at(this.#holdUntil, () => this.#flush());
  }

  #flush(): void {
    if (this.#holdUntil > this.scheduler.now() + 1) {
      this.scheduler.at(this.#holdUntil, () => this.#flush());
      return;
    }
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        this.#queue.shift()!();
        if (this.#holdUntil > this.scheduler.now() + 1 && this.#queue.length > 0) {
          this.scheduler.at(this.#holdUntil, () => this.#flush());
          return;
        }
      }
    } finally {
      this.#flushing = false;
    }
  }
}

/** Whether the fault changes the answer as it is written (the fault sink's faults). */
export const isWriteFault = (fault: FaultSpec): boolean => FAULTS[fault.name].kind === 'write';
