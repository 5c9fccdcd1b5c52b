/**
 * A fake uWebSockets.js HttpResponse / HttpRequest for in-process tests of the front end: exactly
 * the calls the code makes (writeStatus, writeHeader, write, end, cork, close, onData, onAborted,
 * onWritable; getHeader, getMethod, getUrl, getQuery, getParameter, forEach). It fails loudly
 * where the real uWS would abort the process: any use of a response after it ended, was closed
 * or was aborted. The e2e tests remain the authority on uWS' real behaviour.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { ConfigSnapshot } from '../../src/core/config/snapshot.js';
import { NO_METER, type Exchange, type Meter } from '../../src/front-end/http/exchange.js';
import { openExchange } from '../../src/front-end/http/server.js';

const text = (v: unknown): string => (typeof v === 'string' ? v : Buffer.from(v as ArrayBuffer | Uint8Array).toString('utf8'));

export class FakeResponse {
  status: string | undefined;
  readonly headers: [string, string][] = [];
  readonly chunks: string[] = [];
  ended = false;
  closed = false;
  aborted = false;
  closeConnection = false;
  /** How many cork calls wrapped the writes (the hot path: one). */
  corks = 0;
  /** What `write` answers: false simulates a full socket buffer. */
  writable = true;
  #onData: ((chunk: ArrayBuffer, isLast: boolean) => void) | undefined;
  #onAborted: (() => void) | undefined;
  #onWritable: ((offset: number) => boolean) | undefined;

  #live(call: string): void {
    if (this.aborted) throw new Error(`fake uWS: ${call} on an aborted response (uWS would abort the process)`);
    if (this.ended || this.closed) throw new Error(`fake uWS: ${call} on a response that already ${this.ended ? 'ended' : 'was closed'} (uWS would abort the process)`);
  }

  writeStatus(status: unknown): this {
    this.#live('writeStatus');
    if (this.status !== undefined) throw new Error('fake uWS: writeStatus twice');
    if (this.headers.length > 0) throw new Error('fake uWS: writeStatus after writeHeader');
    this.status = text(status);
    return this;
  }

  writeHeader(name: unknown, value: unknown): this {
    this.#live('writeHeader');
    if (typeof value !== 'string' && !(value instanceof Uint8Array) && !(value instanceof ArrayBuffer)) throw new TypeError(`fake uWS: header value must be a string or bytes, got ${typeof value}`);
    if (this.chunks.length > 0) throw new Error('fake uWS: writeHeader after the body started');
    this.headers.push([text(name), text(value)]);
    return this;
  }

  write(chunk: unknown): boolean {
    this.#live('write');
    this.chunks.push(text(chunk));
    return this.writable;
  }

  end(body?: unknown, closeConnection?: boolean): this {
    this.#live('end');
    if (body !== undefined) this.chunks.push(text(body));
    this.ended = true;
    this.closeConnection = closeConnection === true;
    return this;
  }

  cork(fn: () => void): this {
    this.#live('cork');
    this.corks++;
    fn();
    return this;
  }

  close(): this {
    this.#live('close');
    this.closed = true;
    return this;
  }

  onData(handler: (chunk: ArrayBuffer, isLast: boolean) => void): this {
    this.#onData = handler;
    return this;
  }

  onAborted(handler: () => void): this {
    this.#onAborted = handler;
    return this;
  }

  onWritable(handler: (offset: number) => boolean): this {
    this.#onWritable = handler;
    return this;
  }

  // ---- driving it ---------------------------------------------------------------------------

  /** The client sends its body, in `parts` chunks (uWS reuses each chunk's memory afterwards). */
  send(body: string | Buffer, parts = 1): void {
    if (!this.#onData) throw new Error('fake uWS: nobody reads the body');
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const size = Math.ceil(bytes.length / parts) || 1;
    for (let at = 0; at < Math.max(bytes.length, 1); at += size) {
      const chunk = new ArrayBuffer(Math.min(size, bytes.length - at));
      new Uint8Array(chunk).set(bytes.subarray(at, at + size));
      const last = at + size >= bytes.length;
      this.#onData(chunk, last);
      new Uint8Array(chunk).fill(0); // as uWS does: the memory is reused
    }
  }

  /** The client goes away. */
  abort(): void {
    this.aborted = true;
    this.#onAborted?.();
  }

  /** The socket drained. */
  drain(): void {
    this.writable = true;
    this.#onWritable?.(0);
  }

  get statusCode(): number {
    return Number(this.status?.split(' ')[0]);
  }

  header(name: string): string | undefined {
    return this.headers.find(([n]) => n.toLowerCase() === name)?.[1];
  }

  get body(): string {
    return this.chunks.join('');
  }

  json(): unknown {
    return JSON.parse(this.body);
  }

  asUws(): HttpResponse {
    return this as unknown as HttpResponse;
  }
}

export interface FakeRequestInit {
  readonly method?: string;
  readonly url: string;
  readonly query?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly params?: readonly string[];
}

export class FakeRequest {
  constructor(readonly init: FakeRequestInit) {}

  getHeader(name: string): string {
    return this.init.headers?.[name] ?? '';
  }

  getMethod(): string {
    return (this.init.method ?? 'post').toLowerCase(); // uWS gives it lower-case
  }

  getUrl(): string {
    return this.init.url;
  }

  getQuery(): string | undefined {
    return this.init.query;
  }

  getParameter(index: number): string | undefined {
    return this.init.params?.[index];
  }

  forEach(visit: (name: string, value: string) => void): void {
    for (const [name, value] of Object.entries(this.init.headers ?? {})) visit(name, value);
  }

  asUws(): HttpRequest {
    return this as unknown as HttpRequest;
  }
}

/** An exchange over a fake response, as http/server.ts opens one: under the thread's snapshot, at its scheduler's time. */
export function fakeExchange(init: FakeRequestInit, thread: { readonly config: ConfigSnapshot; readonly scheduler: { now(): number }; readonly meter?: Meter }): { ex: Exchange; res: FakeResponse; req: FakeRequest } {
  const res = new FakeResponse();
  const req = new FakeRequest(init);
  return { ex: openExchange(res.asUws(), req.asUws(), thread.config, thread.scheduler.now(), thread.meter ?? NO_METER), res, req };
}

/** A clock the test advances by hand; timers fire in due order as it passes them. */
export class ManualClock {
  #now = 1_000;
  #timers: { due: number; run: () => void; id: number }[] = [];
  #id = 0;

  now(): number {
    return this.#now;
  }

  /** The scheduler's one timer (front-end/scheduler.ts `Timer`): arming it again replaces what was pending. */
  timer(run: () => void): { arm(ms: number): void; cancel(): void } {
    let pending: number | undefined;
    return {
      arm: (ms) => {
        if (pending !== undefined) this.#clear(pending);
        const timer = {
          due: this.#now + ms,
          run: () => {
            pending = undefined;
            run();
          },
          id: ++this.#id,
        };
        this.#timers.push(timer);
        pending = timer.id;
      },
      cancel: () => {
        if (pending !== undefined) this.#clear(pending);
        pending = undefined;
      },
    };
  }

  #clear(id: number): void {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }

  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      this.#timers.sort((a, b) => a.due - b.due);
      const next = this.#timers[0];
      if (!next || next.due > until) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.due);
      next.run();
    }
    this.#now = until;
  }

  get pending(): number {
    return this.#timers.length;
  }
}
