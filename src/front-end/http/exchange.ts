/**
 * One request/response exchange on a uWebSockets.js socket. uWS aborts the process if a response
 * is touched after the client went away or after it ended, so the exchange tracks where it is and
 * every write goes through `respond.ts`, which checks it first.
 */
import type { HttpResponse } from 'uWebSockets.js';
import type { ConfigSnapshot } from '../../core/config/snapshot.js';
import { errorBody, type ApiError } from '../../core/errors.js';
import { requestId } from '../../core/ids.js';
import { apiVersionOf } from '../../core/limits/charge.js';

/** `open`: nothing sent yet; `streaming`: status and headers sent, body under way; then over. */
export type ExchangeState = 'open' | 'streaming' | 'ended' | 'aborted';

export class Exchange {
  #state: ExchangeState = 'open';
  #onAbort: (() => void) | undefined;
  readonly requestId = requestId();
  #ready = false;
  // What the metrics label the exchange with, filled in by the pipeline as it learns them (the
  // meter reads them once, when the exchange is over). The deployment is the name asked for; the
  // meter bounds it.
  deployment = 'none';
  operation = 'none';
  /** The request asked for a stream. */
  stream = false;
  /** The status written (0: none yet). */
  status = 0;
  /** A rate limit refused it: which one. */
  limited: 'tokens' | 'requests' | undefined = undefined;
  promptTokens = 0;
  completionTokens = 0;
  /** When the first token event was written (performance.now()); NaN: none. */
  firstTokenAt = NaN;
  /** An event stream's head was written. */
  streamed = false;
  /** The fault injected into this request (core/faults), if any: record mode then records nothing. */
  fault: string | undefined = undefined;

  constructor(
    readonly res: HttpResponse,
    /** Method, path, query and headers change only by `rewrite` (an extension's request hooks). */
    public method: string,
    public path: string,
    public query: string,
    public headers: RequestHeaders,
    /**
     * The configuration current when the request arrived: every step reads this one, so a
     * `PATCH /++/config` landing mid-request changes nothing for it.
     */
    readonly config: ConfigSnapshot,
    /** When the request arrived (the scheduler's time): latency and replay timings count from here. */
    readonly startedAt: number,
    /** Told when the answer is ready (the simulator's own time) and when the exchange is over. */
    readonly meter: Meter,
    /**
     * Where every write goes (http/respond.ts `PLAIN_SINK`); an extension's response hooks
     * replace it with their decorator when the exchange opens.
     */
    public sink: ResponseSink,
  ) {
    meter.opened(this);
    res.onAborted(() => {
      const over = this.#state === 'ended';
      this.#state = 'aborted';
      if (!over) meter.done(this);
      this.#onAbort?.();
    });
  }

  /**
   * The request as an extension's request hooks left it: every later step (routing, parse,
   * authentication, the record/replay key) reads the rewritten values, never the copies made at
   * arrival.
   */
  rewrite(method: string, path: string, query: string, headers: RequestHeaders): void {
    this.method = method;
    this.path = path;
    this.query = query;
    this.headers = headers;
  }

  /** Something to cancel if the client goes away (an upstream request, a timer). */
  onAbort(cancel: () => void): void {
    this.#onAbort = cancel;
  }

  /** The `api-version` query parameter ('' if absent): AOAI's 429 message names it. */
  get apiVersion(): string {
    return apiVersionOf(this.query);
  }

  get state(): ExchangeState {
    return this.#state;
  }

  /**
   * Marks the answer as ready: either about to wait for simulated latency, or written. The time
   * from arrival to here is the simulator's overhead; only the first call counts.
   */
  ready(): void {
    if (this.#ready || this.#state === 'aborted') return;
    this.#ready = true;
    this.meter.ready(this, performance.now() - this.startedAt);
  }

  /** Marks the response as started (status and headers written). */
  started(status: number): void {
    if (this.#state !== 'open') return;
    this.#state = 'streaming';
    this.status = status;
  }

  /** An event stream's head is written (the active-streams gauge). */
  streaming(): void {
    this.streamed = true;
    this.meter.stream(this);
  }

  /** The first token event is about to be written (time to first token); later calls do nothing. */
  firstToken(): void {
    if (this.firstTokenAt !== this.firstTokenAt) this.firstTokenAt = performance.now();
  }

  /** Marks the response as complete; the `res` must not be used afterwards. */
  ended(): void {
    if (this.#state === 'aborted' || this.#state === 'ended') return;
    this.#state = 'ended';
    this.meter.done(this);
  }
}

/** The request headers the pipeline reads , copied out of the uWS request (valid only synchronously). */
/**
 * What measures exchanges (front-end/metering.ts): `opened` at arrival, `ready` once with the
 * simulator's own time (ms), `stream` when an event stream starts, `done` once when the exchange
 * ends or the client goes away.
 */
export interface Meter {
  opened(ex: Exchange): void;
  ready(ex: Exchange, ms: number): void;
  stream(ex: Exchange): void;
  done(ex: Exchange): void;
}

const ignore = (): void => {};
/** Measures nothing (the management routes, which must not count in what they report). */
export const NO_METER: Meter = Object.freeze({ opened: ignore, ready: ignore, stream: ignore, done: ignore });

/** The request headers the pipeline reads, copied out of the uWS request (valid only synchronously). */
export interface RequestHeaders {
  readonly apiKey: string;
  readonly authorization: string;
  readonly contentType: string;
  readonly contentLength: string;
  /** The Host header: image `url` answers point back at it ('' when absent). */
  readonly host: string;
  /** `x-simulator-fault` and `x-simulator-scenario`: read only while faults are configured. */
  readonly fault?: string;
  readonly scenario?: string;
}

/** A response about to be written, as response hooks see it (lower-case header names). */
export interface ResponseDraft {
  status: number;
  headers: Record<string, string>;
  /** Undefined for a stream whose events follow. */
  body?: string | Uint8Array | undefined;
  readonly streamed?: boolean;
}

/** An AOAI error as a draft (what a failing hook is answered with, and what extensions build). */
export function errorDraft(error: ApiError): ResponseDraft {
  return { status: error.status, headers: { 'content-type': 'application/json', ...error.headers }, body: errorBody(error) };
}


/**
 * The response lifecycle every write goes through (implemented in respond.ts; the extension's
 * response hooks decorate it). `whole`: the answer at once, `type` given for the simulator's own
 * headers (a record), undefined for foreign ones (a list) carrying their own content type;
 * `start` → `data`… → `end` for a body that follows; `abandon` cuts a started one.
 */
export interface ResponseSink {
  whole(ex: Exchange, status: number, type: string | undefined, body: string | Uint8Array, headers?: HeaderRecord | HeaderList, closeConnection?: boolean): void;
  /** False when there is no body to continue (the client left, or a hook answered whole). */
  start(ex: Exchange, status: number, type: string | undefined, headers?: HeaderRecord | HeaderList): boolean;
  /**
   * False when the socket is full (wait with respond.ts `whenWritable`). The chunk is valid only
   * during the call (a stream's events are a view of a buffer the next one reuses): a decorator
   * that keeps it must copy it.
   */
  data(ex: Exchange, chunk: string | Uint8Array): boolean;
  end(ex: Exchange): void;
  abandon(ex: Exchange): void;
}

/** Header names to values (named so as not to shadow the global Fetch `Headers`). */
export type HeaderRecord = Readonly<Record<string, string>>;
export type HeaderList = readonly (readonly [string, string])[];
