/**
 * One request/response exchange on a uWebSockets.js socket. uWS aborts the process if a response
 * is touched after the client went away or after it ended, so the exchange tracks where it is and
 * every write goes through `respond.ts`, which checks it first.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { requestId } from '../../core/ids.js';
import type { SimRequest } from '../../extension-api.js';

/** `open`: nothing sent yet; `streaming`: status and headers sent, body under way; then over. */
export type ExchangeState = 'open' | 'streaming' | 'ended' | 'aborted';

export class Exchange {
  #state: ExchangeState = 'open';
  #onAbort: (() => void) | undefined;
  readonly requestId = requestId();
  /** When the request arrived (performance.now()): recorded and replayed timings count from here. */
  readonly startedAt = performance.now();
  #ready = false;
  /**
   * Set when an extension is loaded: every response passes through it before it is written
   * (response hooks). Undefined otherwise, so the plain path costs one check.
   */
  interceptor: ResponseInterceptor | undefined;

  constructor(
    readonly res: HttpResponse,
    readonly method: string,
    readonly path: string,
    readonly query: string,
    readonly headers: RequestHeaders,
    /** Told the simulator's own time for this request (ms), once: see `ready`. */
    readonly recordOverhead: (ms: number) => void,
  ) {
    res.onAborted(() => {
      this.#state = 'aborted';
      this.#onAbort?.();
    });
  }

  /** Something to cancel if the client goes away (an upstream request, a timer). */
  onAbort(cancel: () => void): void {
    this.#onAbort = cancel;
  }

  /** The `api-version` query parameter ('' if absent): AOAI's 429 message names it. */
  get apiVersion(): string {
    return new URLSearchParams(this.query).get('api-version') ?? '';
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
  /** The Host header (image `url` answers point back at it); absent where an extension built the exchange. */
  readonly host?: string;
}

/** A response about to be written, as response hooks see it (lower-case header names). */
export interface ResponseDraft {
  status: number;
  headers: Record<string, string>;
  /** Undefined for a stream whose events follow. */
  body?: string | Uint8Array | undefined;
  readonly streamed?: boolean;
}

/** Runs the response hooks; never throws (a failing hook turns the draft into a 500). */
export interface ResponseInterceptor {
  /** The request as the extension sees it (the hooks' first argument). */
  readonly request: SimRequest;
  /** The body, when the plain pipeline read it (response hooks may look at it). */
  received(body: string | Buffer): void;
  intercept(ex: Exchange, draft: ResponseDraft): ResponseDraft;
}
