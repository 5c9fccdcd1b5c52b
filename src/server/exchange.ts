/**
 * One request/response exchange on a uWebSockets.js socket. The response object must never be
 * touched after the client went away (uWS aborts the process), so every write goes through here
 * and checks `aborted` first.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { requestId } from '../core/ids.js';

export class Exchange {
  aborted = false;
  /** Set once a response has been started (status written). */
  responded = false;
  readonly requestId = requestId();
  readonly startedAt = performance.now();

  constructor(
    readonly res: HttpResponse,
    readonly method: string,
    readonly path: string,
    readonly query: string,
    readonly headers: RequestHeaders,
  ) {
    res.onAborted(() => {
      this.aborted = true;
    });
  }
}

/** The request headers the pipeline reads, copied out of the uWS request (valid only synchronously). */
export interface RequestHeaders {
  readonly apiKey: string;
  readonly authorization: string;
  readonly contentType: string;
  readonly contentLength: string;
}
