/**
 * Writing answers: JSON bodies, AOAI error envelopes and server-sent event streams. Every write is
 * corked (one syscall for status, headers and body) and skipped if the client is gone.
 */
import { errorBody, type ApiError } from '../core/errors.js';
import type { Exchange } from './exchange.js';

const STATUS_LINE: Readonly<Record<number, string>> = {
  200: '200 OK',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  413: '413 Payload Too Large',
  415: '415 Unsupported Media Type',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  504: '504 Gateway Timeout',
};

const statusLine = (status: number): string => STATUS_LINE[status] ?? String(status);

export type Headers = Readonly<Record<string, string>>;

function writeHead(ex: Exchange, status: number, contentType: string, headers: Headers | undefined): void {
  const res = ex.res;
  res.writeStatus(statusLine(status));
  res.writeHeader('content-type', contentType);
  res.writeHeader('x-request-id', ex.requestId);
  res.writeHeader('apim-request-id', ex.requestId);
  if (headers) for (const name in headers) res.writeHeader(name, headers[name]!);
  ex.responded = true;
}

export function sendJson(ex: Exchange, status: number, body: string, headers?: Headers, closeConnection = false): void {
  if (ex.aborted || ex.responded) return;
  ex.res.cork(() => {
    writeHead(ex, status, 'application/json', headers);
    ex.res.end(body, closeConnection);
  });
}

/** `closeConnection` is for errors sent before the request body was read (e.g. 413). */
export function sendError(ex: Exchange, error: ApiError, closeConnection = false): void {
  sendJson(ex, error.status, errorBody(error), error.headers, closeConnection);
}

/**
 * A server-sent event stream with back-pressure: when the socket's buffer is full, further events
 * queue here until uWS reports the socket writable again, instead of piling up in the kernel.
 */
export class EventStream {
  readonly #ex: Exchange;
  readonly #queue: string[] = [];
  #blocked = false;
  #endPending = false;

  constructor(ex: Exchange, headers?: Headers) {
    this.#ex = ex;
    if (ex.aborted) return;
    ex.res.cork(() => {
      writeHead(ex, 200, 'text/event-stream; charset=utf-8', headers);
      ex.res.writeHeader('cache-control', 'no-cache');
    });
  }

  send(chunk: string): void {
    if (this.#ex.aborted) return;
    if (this.#blocked) {
      this.#queue.push(chunk);
      return;
    }
    let ok = true;
    this.#ex.res.cork(() => {
      ok = this.#ex.res.write(chunk);
    });
    if (!ok) this.#block();
  }

  end(): void {
    if (this.#ex.aborted) return;
    if (this.#blocked) {
      this.#endPending = true;
      return;
    }
    this.#ex.res.cork(() => this.#ex.res.end());
  }

  #block(): void {
    this.#blocked = true;
    this.#ex.res.onWritable(() => {
      if (this.#ex.aborted) return true;
      let ok = true;
      this.#ex.res.cork(() => {
        while (ok && this.#queue.length > 0) ok = this.#ex.res.write(this.#queue.shift()!);
      });
      if (!ok) return false;
      this.#blocked = false;
      if (this.#endPending) this.#ex.res.cork(() => this.#ex.res.end());
      return true;
    });
  }
}
