/**
 * The thread's uWebSockets.js app, behind the few calls the thread makes: register a handler for
 * a method and a pattern (uWS' native router), listen, close. A handler receives the Exchange,
 * already opened under the configuration current at arrival, and a narrow view of uWS' request
 * (valid only during the call). This folder is the only code that imports uWebSockets.js.
 */
import uWS from 'uWebSockets.js';
import type { ConfigSnapshot } from '../../core/config/snapshot.js';
import { Exchange, NO_METER, type Meter } from './exchange.js';
import { PLAIN_SINK } from './respond.js';

/** Copies what the pipeline needs out of `req`, which is only valid during the handler call. */
export function openExchange(res: uWS.HttpResponse, req: uWS.HttpRequest, config: ConfigSnapshot, startedAt: number, meter: Meter): Exchange {
  const headers =
    config.faults === null
      ? {
          apiKey: req.getHeader('api-key'),
          authorization: req.getHeader('authorization'),
          contentType: req.getHeader('content-type'),
          contentLength: req.getHeader('content-length'),
          host: req.getHeader('host'),
        }
      : {
          apiKey: req.getHeader('api-key'),
          authorization: req.getHeader('authorization'),
          contentType: req.getHeader('content-type'),
          contentLength: req.getHeader('content-length'),
          host: req.getHeader('host'),
          fault: req.getHeader('x-simulator-fault'),
          scenario: req.getHeader('x-simulator-scenario'),
        };
  return new Exchange(res, req.getMethod().toUpperCase(), req.getUrl(), req.getQuery() ?? '', headers, config, startedAt, meter, PLAIN_SINK);
}

/** What a handler may still read of uWS' request (synchronously: uWS reuses it afterwards). */
export interface RequestView {
  getParameter(index: number): string | undefined;
  forEach(visit: (name: string, value: string) => void): void;
}

export type Handler = (ex: Exchange, req: RequestView) => void;

/** Where an exchange takes its configuration, arrival time and meter (the thread context). */
export interface ExchangeSource {
  readonly config: ConfigSnapshot;
  readonly scheduler: { now(): number };
  readonly meter: Meter;
}

export class HttpServer {
  readonly #app = uWS.App();
  #socket: uWS.us_listen_socket | undefined;

  constructor(readonly source: ExchangeSource) {}

  /** `measured`: false for the management routes, which must not count in the overhead they report. */
  on(method: 'get' | 'post' | 'patch' | 'del' | 'any', pattern: string, handler: Handler, measured = true): void {
    const source = this.source;
    const meter = measured ? source.meter : NO_METER;
    this.#app[method](pattern, (res, req) => handler(openExchange(res, req, source.config, source.scheduler.now(), meter), req));
  }

  /** `listening` gets the bound port, or undefined when the port could not be taken. */
  listen(host: string, port: number, listening: (port: number | undefined) => void): void {
    this.#app.listen(host, port, (socket) => {
      if (!socket) return listening(undefined);
      this.#socket = socket;
      listening(uWS.us_socket_local_port(socket));
    });
  }

  /**
   * Stops accepting and closes every open connection: a worker terminated with uWS sockets still
   * open aborts the whole process.
   */
  close(): void {
    if (this.#socket) uWS.us_listen_socket_close(this.#socket);
    (this.#app as unknown as { close(): void }).close(); // in the binary, missing from its typings
  }
}
