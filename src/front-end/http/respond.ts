/**
 * Writing answers, through one response sink: `whole` (status, headers and body in one cork and
 * one end — the hot path), or `start` → `data`… → `end` for a body that follows (event streams,
 * replayed and relayed streams), and `abandon` to cut one that cannot be finished. The sink
 * checks the exchange's state before every write (uWS aborts the process on a response touched
 * after it ended or was aborted) and moves it along (`open → streaming → ended`).
 *
 * `PLAIN_SINK` writes to the socket. An extension's response hooks are a decorator around it
 * (extensions/runtime.ts), set as `ex.sink` only on exchanges an extension watches: nothing here
 * knows about extensions, and the plain path pays nothing for them.
 *
 * Headers come in two kinds. The simulator's own (`HeaderRecord`: x-ratelimit-*, retry-after …)
 * go with a content type the caller names, and their names are encoded once and reused. Foreign
 * ones (`HeaderList`: recorded, relayed, or left by a response hook) carry their own content type;
 * their names are written as they are, the ids only when they have none, and never a
 * content-length (uWS writes its own, and would send two).
 */
import { STATUS_CODES } from 'node:http';
import { errorBody, type ApiError } from '../../core/errors.js';
import type { Exchange, HeaderList, HeaderRecord, ResponseSink } from './exchange.js';

/** `404 Not Found`: Node's table of reason phrases covers every status we send or relay. */
const statusLine = (status: number): string => `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;

export type { HeaderList, HeaderRecord, ResponseSink } from './exchange.js';

export const HEALTH_BODY = JSON.stringify({ message: '👋 aoai-simulated-api is running' });

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

/** The one head writer (inside a cork). */
function writeHead(ex: Exchange, status: number, type: string | undefined, headers: HeaderRecord | HeaderList | undefined): void {
  const res = ex.res;
  res.writeStatus(statusBytes(status));
  if (type !== undefined) {
    res.writeHeader(CONTENT_TYPE, encodedTypes.get(type) ?? type);
    res.writeHeader(X_REQUEST_ID, ex.requestId);
    res.writeHeader(APIM_REQUEST_ID, ex.requestId);
    const own = headers as HeaderRecord | undefined;
    if (own) for (const name in own) res.writeHeader(nameBytes(name), own[name]!);
  } else {
    const foreign = (headers ?? []) as HeaderList;
    let requestId = false;
    let apimRequestId = false;
    for (const [name] of foreign) {
      if (name === 'x-request-id') requestId = true;
      else if (name === 'apim-request-id') apimRequestId = true;
    }
    if (!requestId) res.writeHeader(X_REQUEST_ID, ex.requestId);
    if (!apimRequestId) res.writeHeader(APIM_REQUEST_ID, ex.requestId);
    for (const [name, value] of foreign) if (name !== 'content-length') res.writeHeader(name, value);
  }
  ex.started(status);
}

// A stream's writes, corked without a closure per call: the cork's callback is one function, and
// what it writes passes through these (it runs synchronously, inside the call that set them).
let corkedRes: Exchange['res'] | undefined;
/** The response whose socket `corked` holds corked right now (writes to it need no cork of their own). */
let corkedBy: Exchange['res'] | undefined;
let corkedChunk: string | Uint8Array = '';
let corkedOk = true;
function corkedWrite(): void {
  corkedOk = corkedRes!.write(corkedChunk);
}
function corkedEnd(): void {
  corkedRes!.end();
}

/** The sink that writes to the socket. */
export const PLAIN_SINK: ResponseSink = {
  whole(ex, status, type, body, headers, closeConnection = false) {
    if (ex.state !== 'open') return;
    ex.res.cork(() => {
      writeHead(ex, status, type, headers);
      ex.res.end(body, closeConnection);
    });
    ex.ready();
    ex.ended();
  },
  start(ex, status, type, headers) {
    if (ex.state !== 'open') return false;
    ex.res.cork(() => writeHead(ex, status, type, headers));
    ex.ready();
    ex.streaming();
    return true;
  },
  data(ex, chunk) {
    if (ex.state !== 'streaming') return true;
    // Inside `corked` (a paced stream's step) the socket is corked already: write directly, and
    // spare a second native call and its call back into JavaScript per token event.
    if (corkedBy === ex.res) return ex.res.write(chunk);
    corkedRes = ex.res;
    corkedChunk = chunk;
    ex.res.cork(corkedWrite);
    corkedRes = undefined;
    corkedChunk = '';
    return corkedOk;
  },
  end(ex) {
    if (ex.state !== 'streaming') return;
    if (corkedBy === ex.res) ex.res.end();
    else {
      corkedRes = ex.res;
      ex.res.cork(corkedEnd);
      corkedRes = undefined;
    }
    ex.ended();
  },
  abandon(ex) {
    if (ex.state !== 'streaming') return;
    ex.res.close();
    ex.ended();
  },
};

/** Closes the connection without an answer, before or after the head (a `drop` or `disconnect` fault). */
export function dropConnection(ex: Exchange): void {
  if (ex.state !== 'open' && ex.state !== 'streaming') return;
  ex.ready();
  ex.res.close();
  ex.ended();
}

export function sendJson(ex: Exchange, status: number, body: string, headers?: HeaderRecord, closeConnection = false): void {
  ex.sink.whole(ex, status, 'application/json', body, headers, closeConnection);
}

/** `closeConnection` is for errors sent before the request body was read (e.g. 413). */
export function sendError(ex: Exchange, error: ApiError, closeConnection = false): void {
  if (error.limit !== undefined) ex.limited = error.limit;
  ex.sink.whole(ex, error.status, 'application/json', errorBody(error), error.headers, closeConnection);
}

/**
 * Runs `write` with the socket corked, if the exchange is still live: what the sink writes inside
 * (a stream's due events and its end) leaves in one send. (Inside a uWS callback the socket is
 * corked already and this just calls `write`.) Exceptions are `write`'s to catch.
 */
export function corked(ex: Exchange, write: () => void): void {
  if (ex.state !== 'streaming' && ex.state !== 'open') return;
  const outer = corkedBy;
  corkedBy = ex.res;
  try {
    ex.res.cork(write);
  } finally {
    corkedBy = outer;
  }
}

/** Calls `drained` once the socket takes data again (after `data` returned false). */
export function whenWritable(ex: Exchange, drained: () => void): void {
  ex.res.onWritable(() => {
    if (ex.state === 'streaming') drained();
    return true;
  });
}

export const EVENT_STREAM_TYPE = 'text/event-stream; charset=utf-8';
const NO_CACHE = { 'cache-control': 'no-cache' } as const;

/** Starts an event stream (the simulator's own); false when there is no stream to continue. */
export function startEventStream(ex: Exchange, headers: HeaderRecord | undefined): boolean {
  return ex.sink.start(ex, 200, EVENT_STREAM_TYPE, headers ? { ...headers, ...NO_CACHE } : NO_CACHE);
}
