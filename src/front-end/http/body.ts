/**
 * Reading a request body from uWS as text, bounded by a size limit. uWS hands out chunks whose
 * memory is reused after the callback returns, so a body in one chunk (the common case) is decoded
 * straight from it, and a body in several is copied chunk by chunk.
 */
import type { Exchange } from './exchange.js';

export type BodyResult<T = string> = { readonly kind: 'body'; readonly text: T } | { readonly kind: 'too-large' };

/** The body as text (JSON requests). */
export function readBody(ex: Exchange, limit: number, done: (result: BodyResult) => void): void {
  readBodyAs(ex, limit, (buffer) => buffer.toString('utf8'), done);
}

/** The body as bytes (record and replay: multipart audio must survive untouched). */
export function readBodyBytes(ex: Exchange, limit: number, done: (result: BodyResult<Buffer>) => void): void {
  readBodyAs(ex, limit, (buffer) => Buffer.from(buffer), done);
}

function readBodyAs<T>(ex: Exchange, limit: number, decode: (view: Buffer) => T, done: (result: BodyResult<T>) => void): void {
  const declared = ex.headers.contentLength === '' ? -1 : Number(ex.headers.contentLength);
  if (declared > limit) {
    done({ kind: 'too-large' });
    return;
  }
  let chunks: Buffer[] | undefined;
  let size = 0;
  let finished = false;
  ex.res.onData((chunk, isLast) => {
    if (finished) return;
    size += chunk.byteLength;
    if (size > limit) {
      finished = true;
      done({ kind: 'too-large' });
      return;
    }
    if (isLast && chunks === undefined) {
      finished = true;
      done({ kind: 'body', text: decode(Buffer.from(chunk)) });
      return;
    }
    (chunks ??= []).push(Buffer.copyBytesFrom(new Uint8Array(chunk)));
    if (isLast) {
      finished = true;
      done({ kind: 'body', text: decode(Buffer.concat(chunks, size)) });
    }
  });
}

/** A body the route does not use: consumed and dropped, so uWS can carry on with the connection. */
export function discardBody(ex: Exchange): void {
  ex.res.onData(() => {});
}
