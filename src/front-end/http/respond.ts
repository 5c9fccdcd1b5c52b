/**
 * Writing answers: JSON bodies, AOAI error envelopes and server-sent event streams. Every write is
 * corked (one syscall for status, headers and body) and skipped unless the exchange allows it.
 */
import { STATUS_CODES } from 'node:http';
import { errorBody, type ApiError } from '../../core/errors.js';
import type { Exchange, ResponseDraft } from './exchange.js';

/** `404 Not Found`: Node's table of reason phrases covers every status we send or relay. */
const statusLine = (status: number): string => `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;

export type Headers = Readonly<Record<string, string>>;

// Constant header names and values, encoded once: uWS copies bytes instead of converting strings
// (measured: 1-thread ratio to the bare server 0.33–0.34 with, 0.26–0.27 without, same session).
const CONTENT_TYPE = Buffer.from('content-type');
const X_REQUEST_ID = Buffer.from('x-request-id');
const APIM_REQUEST_ID = Buffer.from('apim-request-id');
const OK = Buffer.from('200 OK');
const encodedTypes = new Map<string, Buffer>([['application/json', Buffer.from('application/json')]]);
/** Status lines other than 200, encoded on first use (a handful: 400, 404, 429 …). */
const encodedStatus = new Map<number, Buffer>();
/**
 * Names of the headers answers add (x-ratelimit-*, retry-after …), encoded on first use. Only the
 * simulator's own names come here, never a client's or an upstream's, so the map stays small.
 */
const encodedNames = new Map<string, Buffer>();

function statusBytes(status: number): Buffer {
  if (status === 200) return OK;
  let line = encodedStatus.get(status);
  if (!line) encodedStatus.set(status, (line = Buffer.from(statusLine(status))));
  return line;
}

function nameBytes(name: string): Buffer {
  let bytes = encodedNames.get(name);
  if (!bytes) encodedNames.set(name, (bytes = Buffer.from(name)));
  return bytes;
}

function writeHead(ex: Exchange, status: number, contentType: string, headers: Headers | undefined): void {
  const res = ex.res;
  res.writeStatus(statusBytes(status));
  res.writeHeader(CONTENT_TYPE, encodedTypes.get(contentType) ?? contentType);
  res.writeHeader(X_REQUEST_ID, ex.requestId);
  res.writeHeader(APIM_REQUEST_ID, ex.requestId);
  if (headers) for (const name in headers) res.writeHeader(nameBytes(name), headers[name]!);
  ex.started();
}

export function sendJson(ex: Exchange, status: number, body: string, headers?: Headers, closeConnection = false): void {
  sendBody(ex, status, 'application/json', body, headers, closeConnection);
}

/** A whole answer of any content type (audio's text formats; JSON goes through `sendJson`). */
export function sendBody(ex: Exchange, status: number, contentType: string, body: string, headers?: Headers, closeConnection = false): void {
  if (ex.state !== 'open') return;
  if (ex.interceptor) return sendDraft(ex, ex.interceptor.intercept(ex, { status, headers: { 'content-type': contentType, ...headers }, body }), closeConnection);
  ex.res.cork(() => {
    writeHead(ex, status, contentType, headers);
    ex.res.end(body, closeConnection);
  });
  ex.ready();
  ex.ended();
}

/** Binary content (generated images): no response hooks, which work on text bodies. */
export function sendBytes(ex: Exchange, status: number, contentType: string, body: Uint8Array, headers?: Headers): void {
  if (ex.state !== 'open') return;
  ex.res.cork(() => {
    writeHead(ex, status, contentType, headers);
    ex.res.end(body);
  });
  ex.ready();
  ex.ended();
}

/** `closeConnection` is for errors sent before the request body was read (e.g. 413). */
export function sendError(ex: Exchange, error: ApiError, closeConnection = false): void {
  sendJson(ex, error.status, errorBody(error), error.headers, closeConnection);
}

export type HeaderList = readonly (readonly [string, string])[];

function writeRecordedHead(ex: Exchange, status: number, headers: HeaderList): void {
  ex.res.writeStatus(statusBytes(status));
  ex.res.writeHeader(X_REQUEST_ID, ex.requestId);
  ex.res.writeHeader(APIM_REQUEST_ID, ex.requestId);
  for (const [name, value] of headers) ex.res.writeHeader(name, value);
  ex.started();
}

/** Starts a response with recorded or relayed headers (their own content type); body to follow. */
export function startResponse(ex: Exchange, status: number, headers: HeaderList): void {
  if (ex.state !== 'open') return;
  if (ex.interceptor) return startDraft(ex, { status, headers: headerMap(headers), streamed: true });
  ex.res.cork(() => writeRecordedHead(ex, status, headers));
  ex.ready();
}

/** A whole recorded or relayed answer at once. */
export function sendRecorded(ex: Exchange, status: number, headers: HeaderList, body: string | Uint8Array): void {
  if (ex.state !== 'open') return;
  if (ex.interceptor) return sendDraft(ex, ex.interceptor.intercept(ex, { status, headers: headerMap(headers), body }));
  ex.res.cork(() => {
    writeRecordedHead(ex, status, headers);
    ex.res.end(body);
  });
  ex.ready();
  ex.ended();
}

/** Writes part of a started body; false when the socket is full (wait for `onWritable`). */
export function writePart(ex: Exchange, chunk: string | Uint8Array): boolean {
  if (ex.state !== 'streaming') return true;
  let ok = true;
  ex.res.cork(() => {
    ok = ex.res.write(chunk);
  });
  return ok;
}

export function endResponse(ex: Exchange): void {
  if (ex.state !== 'streaming') return;
  ex.res.cork(() => ex.res.end());
  ex.ended();
}

/** Cuts a response that started but cannot be finished: the client sees a closed connection. */
export function abandon(ex: Exchange): void {
  if (ex.state !== 'streaming') return;
  ex.res.close();
  ex.ended();
}

const EVENT_STREAM_TYPE = 'text/event-stream; charset=utf-8';
const NO_CACHE = 'no-cache';

/**
 * Writes an event stream's head (through the response hooks when there are any); false when a
 * hook answered with a whole body instead, so there is no stream to continue.
 */
function startEventStream(ex: Exchange, headers: Headers | undefined): boolean {
  if (ex.interceptor) startDraft(ex, eventStreamDraft(headers));
  else {
    ex.res.cork(() => {
      writeHead(ex, 200, EVENT_STREAM_TYPE, headers);
      ex.res.writeHeader('cache-control', NO_CACHE);
    });
  }
  return ex.state === 'streaming';
}

/** Starts an event stream whose events the caller writes as they become due (`writePart`). */
export function openEventStream(ex: Exchange, headers?: Headers): void {
  if (ex.state !== 'open') return;
  startEventStream(ex, headers);
  ex.ready();
}

/**
 * Streams server-sent events from a source with back-pressure: chunks are pulled from the source
 * only while the socket takes them; when uWS reports its buffer full, pulling stops until the
 * socket is writable again. A slow reader therefore holds one chunk in the server, not the stream.
 */
export function streamEvents(ex: Exchange, source: Iterator<string>, fail: (err: unknown) => void, headers?: Headers): void {
  if (ex.state !== 'open' || !startEventStream(ex, headers)) return;
  const pump = (): boolean => {
    let writable = true;
    let done = false;
    ex.res.cork(() => {
      while (writable) {
        const next = source.next();
        if (next.done) {
          done = true;
          break;
        }
        writable = ex.res.write(next.value);
      }
      if (done) ex.res.end();
    });
    if (done) ex.ended();
    return done;
  };
  const done = pump();
  ex.ready();
  if (done) return;
  ex.res.onWritable(() => {
    if (ex.state !== 'streaming') return true;
    // The chunk that filled the buffer is already queued inside uWS; carry on with the next ones.
    // An exception must not escape a uWS callback: it would end the thread.
    try {
      pump();
    } catch (err) {
      fail(err);
    }
    return true;
  });
}

// Responses through an extension's response hooks (`ex.interceptor`): the hooks see and may change
// status, headers and body as one plain object, which is then written as it is.

function headerMap(headers: HeaderList): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [name, value] of headers) map[name] = name in map ? `${map[name]}, ${value}` : value;
  return map;
}

const eventStreamDraft = (headers: Headers | undefined): ResponseDraft => ({
  status: 200,
  headers: { 'content-type': EVENT_STREAM_TYPE, 'cache-control': NO_CACHE, ...headers },
  streamed: true,
});

function writeDraftHead(ex: Exchange, draft: ResponseDraft): void {
  const res = ex.res;
  res.writeStatus(statusBytes(draft.status));
  if (!('x-request-id' in draft.headers)) res.writeHeader(X_REQUEST_ID, ex.requestId);
  if (!('apim-request-id' in draft.headers)) res.writeHeader(APIM_REQUEST_ID, ex.requestId);
  for (const name in draft.headers) {
    // uWS writes its own content-length (and would send two): a hook's is dropped.
    if (name !== 'content-length') res.writeHeader(name, draft.headers[name]!);
  }
  ex.started();
}

/** Writes a whole response as the hooks left it. */
export function sendDraft(ex: Exchange, draft: ResponseDraft, closeConnection = false): void {
  if (ex.state !== 'open') return;
  ex.res.cork(() => {
    writeDraftHead(ex, draft);
    ex.res.end(draft.body ?? '', closeConnection);
  });
  ex.ready();
  ex.ended();
}

/** Starts a stream after the hooks saw its head; a hook that set a body ends it there instead. */
function startDraft(ex: Exchange, draft: ResponseDraft): void {
  const final = ex.interceptor!.intercept(ex, draft);
  if (final.body !== undefined) return sendDraft(ex, final);
  ex.res.cork(() => writeDraftHead(ex, final));
  ex.ready();
}

/** A whole response built by an extension (through the response hooks when there are any). */
export function sendResponse(ex: Exchange, draft: ResponseDraft): void {
  if (ex.state !== 'open') return;
  sendDraft(ex, ex.interceptor ? ex.interceptor.intercept(ex, draft) : draft);
}
