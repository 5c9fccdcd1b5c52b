/**
 * One request/response exchange on a uWebSockets.js socket. uWS aborts the process if a response
 * is touched after the client went away or after it ended, so the exchange tracks where it is and
 * every write goes through `respond.ts`, which checks it first.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
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
  /**
   * Set when an extension is loaded: every response passes through it before it is written
   * (response hooks). Undefined otherwise, so the plain path costs one check.
   */
  interceptor: ResponseInterceptor | undefined;

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
    /** Told the simulator's own time for this request (ms), once: see `ready`. */
    readonly recordOverhead: (ms: number) => void,
  ) {
    res.onAborted(() => {
      this.#state = 'aborted';
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
    this.recordOverhead(performance.now() - this.startedAt);
  }

  /** Marks the response as started (status and headers written). */
  started(): void {
    if (this.#state === 'open') this.#state = 'streaming';
  }

  /** Marks the response as complete; the `res` must not be used afterwards. */
  ended(): void {
    if (this.#state !== 'aborted') this.#state = 'ended';
  }
}

/** The request headers the pipeline reads, copied out of the uWS request (valid only synchronously). */
export interface RequestHeaders {
  readonly apiKey: string;
  readonly authorization: string;
  readonly contentType: string;
  readonly contentLength: string;
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
 * Runs the response hooks; never throws (a failing hook turns the draft into a 500). Implemented
 * by the extension runtime: the HTTP layer knows nothing of the extension model.
 */
export interface ResponseInterceptor {
  /** The body, when the plain pipeline read it (response hooks may look at it). */
  received(body: string | Buffer): void;
  intercept(ex: Exchange, draft: ResponseDraft): ResponseDraft;
}

/** Copies what the pipeline needs out of `req`, which is only valid during the handler call. */
export function openExchange(res: HttpResponse, req: HttpRequest, config: ConfigSnapshot, startedAt: number, recordOverhead: (ms: number) => void): Exchange {
  const headers = {
    apiKey: req.getHeader('api-key'),
    authorization: req.getHeader('authorization'),
    contentType: req.getHeader('content-type'),
    contentLength: req.getHeader('content-length'),
  };
  return new Exchange(res, req.getMethod().toUpperCase(), req.getUrl(), req.getQuery() ?? '', headers, config, startedAt, recordOverhead);
}
