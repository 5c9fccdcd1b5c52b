/**
 * What happens when a request cannot be answered normally: `reject` (an error before the body was
 * read), `fault` (a bug: 500 before the head, a closed connection after), and `guard`, the one
 * wrapper put where control enters the pipeline from outside (uWS' onData and onWritable, the
 * pool's promise, scheduler tasks, upstream events). Steps between guards do not catch: an
 * exception escaping a uWS callback would take the whole thread down, so every entry is guarded.
 */
import { errors, ExtensionFailure, type ApiError } from '../../core/errors.js';
import type { Log } from '../../log.js';
import type { Exchange } from './exchange.js';
import { sendError } from './respond.js';

/** An error answered before the body was read: close the connection rather than drain the upload. */
export function reject(ex: Exchange, error: ApiError): void {
  const bodyPending = ex.headers.contentLength !== '' && ex.headers.contentLength !== '0';
  sendError(ex, error, bodyPending);
}

/**
 * A bug, not bad input: log it, answer 500 in the envelope if nothing was sent yet, or cut the
 * connection if a stream was under way (a client must not wait for an end that never comes).
 */
export function fault(log: Log, ex: Exchange, err: unknown): void {
  // An extension's failure was logged where it was caught (with the extension's name).
  if (err instanceof ExtensionFailure) {
    if (ex.state === 'open') sendError(ex, err.apiError);
    else ex.sink.abandon(ex);
    return;
  }
  log.error(`request ${ex.requestId} ${ex.method} ${ex.path} failed: ${(err as Error)?.stack ?? String(err)}`);
  if (ex.state === 'open') sendError(ex, errors.internal('an unexpected error occurred; see the simulator log'));
  else ex.sink.abandon(ex);
}

/** `fn` with every exception turned into the exchange's fault. */
export function guard<A extends unknown[]>(log: Log, ex: Exchange, fn: (...args: A) => void): (...args: A) => void {
  return (...args: A): void => {
    try {
      fn(...args);
    } catch (err) {
      fault(log, ex, err);
    }
  };
}
