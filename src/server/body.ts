/**
 * Reading a request body from uWS as text, bounded by a size limit. uWS hands out chunks whose
 * memory is reused after the callback returns, so a body in one chunk (the common case) is decoded
 * straight from it, and a body in several is copied chunk by chunk.
 */
import type { Exchange } from './exchange.js';

export type BodyResult = { readonly kind: 'body'; readonly text: string } | { readonly kind: 'too-large' };

export function readBody(ex: Exchange, limit: number, done: (result: BodyResult) => void): void {
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
      done({ kind: 'body', text: Buffer.from(chunk).toString('utf8') });
      return;
    }
    (chunks ??= []).push(Buffer.copyBytesFrom(new Uint8Array(chunk)));
    if (isLast) {
      finished = true;
      done({ kind: 'body', text: Buffer.concat(chunks, size).toString('utf8') });
    }
  });
}
