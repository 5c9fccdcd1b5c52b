/**
 * Recording files: the Python simulator's YAML layout (python-compatibility.md §4.3) — `version: 1`, one file per
 * URL path, `interactions[]` of `request`, `response`, `context_values` — read and written here.
 *
 * Streamed answers add one field, `response.stream_offsets_ms`: the time of each server-sent event
 * after the request started. The events themselves stay in `response.body.string` (the whole
 * stream as it came), so a reader that ignores the new field still replays the stream, just
 * without the pacing. Everything else a file holds (extra keys, `!!binary` bodies) is tolerated.
 *
 * Here: the interactions and the replay entries made of them. The YAML itself is read and written
 * in recording-yaml.ts, which only main loads: a front-end thread turns interactions into entries
 * but never parses a file, and every module a thread loads is resident in every thread.
 */
import { bodyHash, bodyMatchingIsCanonical, requestKey } from './recording-key.js';
import { SimulatorError } from '../errors.js';
import { isObject } from '../values.js';

export type HeaderMap = Record<string, string[]>;

export interface RecordedInteraction {
  request: {
    method: string;
    uri: string;
    headers: HeaderMap;
    /** null when it was too long to keep (the hash still identifies it). */
    body: string | Uint8Array | null;
    body_hash: string;
  };
  response: {
    status: { code: number };
    headers: HeaderMap;
    body: { string: string | Uint8Array | null };
    duration_ms: number;
    stream_offsets_ms?: number[];
  };
  context_values: Record<string, unknown>;
}

/** A recorded answer ready to write: looked up by key, no parsing at request time. */
export interface ReplayEntry {
  readonly key: string;
  readonly file: string;
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  /** Text, or bytes for a `!!binary` body (audio, images). */
  readonly body: string | Uint8Array;
  readonly durationMs: number;
  /** For streams: the body split into events, and when each was sent. */
  readonly events?: readonly string[];
  readonly offsetsMs?: readonly number[];
}

/**
 * Answer headers never recorded, relayed or replayed: per-request ids and infrastructure headers
 * (the Python simulator's list), hop-by-hop and framing headers (the server sets its own), the
 * encoding (recordings hold decoded bodies), and anything that could carry a secret.
 */
export const UNRECORDED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'apim-request-id', 'azureml-model-session', 'x-accel-buffering', 'x-content-type-options', 'x-ms-client-request-id',
  'x-ms-region', 'x-request-id', 'cache-control', 'content-length', 'date', 'strict-transport-security',
  'access-control-allow-origin', 'connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'set-cookie',
  'cookie', 'authorization', 'api-key',
  // uWebSockets.js marks its own answers; an upstream that is another simulator would pass it on.
  'uwebsockets',
]);

export class RecordingFileError extends SimulatorError {
  override name = 'RecordingFileError';
  readonly code = 'SIM_ERR_RECORDING_FILE';
}

/** The Python simulator drops request bodies longer than this when saving (the hash stays). */
export const MAX_STORED_BODY = 1024;

type Raw = Record<string, unknown>;
export const isRaw: (v: unknown) => v is Raw = isObject;

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8'); // a !!binary body
  return String(value);
}

function headerPairs(raw: unknown, drop?: ReadonlySet<string>): [string, string][] {
  if (!isRaw(raw)) return [];
  const pairs: [string, string][] = [];
  for (const [name, values] of Object.entries(raw)) {
    const first = Array.isArray(values) ? values[0] : values;
    if (first !== undefined && first !== null && !drop?.has(name.toLowerCase())) pairs.push([name.toLowerCase(), String(first)]);
  }
  return pairs;
}

/**
 * The path of a recorded URI, as sent: no normalisation (a live request's key uses the raw path
 * too, as the Python simulator's URL(...).path does), only scheme, host, query and fragment removed.
 */
export function pathOf(uri: string): string {
  return uri.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, '').split(/[?#]/, 1)[0] || '/';
}

/** Splits a recorded SSE body into its events (each keeps its trailing blank line). */
export function splitEvents(body: string): string[] {
  const events: string[] = [];
  let start = 0;
  for (let end = body.indexOf('\n\n'); end !== -1; end = body.indexOf('\n\n', start)) {
    events.push(body.slice(start, end + 2));
    start = end + 2;
  }
  if (start < body.length) events.push(body.slice(start));
  return events;
}

/** The replay entry for one interaction (also used for interactions recorded just now). */
export function entryOf(item: unknown, where: string, file: string): ReplayEntry {
  if (!isRaw(item) || !isRaw(item.request) || !isRaw(item.response)) throw new RecordingFileError(`${where}: needs "request" and "response"`);
  const { request, response } = item;
  const method = String(request.method ?? 'POST');
  const uri = String(request.uri ?? '');
  const requestHeaders = headerPairs(request.headers);
  const contentType = requestHeaders.find(([n]) => n === 'content-type')?.[1] ?? '';
  // A `!!binary` body (multipart audio) is hashed as its bytes: decoding it as text would not survive.
  const storedBody = request.body instanceof Uint8Array ? request.body : text(request.body);
  // Hand-edited files may drop the hash (recomputed from the body) but not both (python-compatibility.md §4.3).
  // Matching that ignores fields hashes a JSON body's canonical form, so a text body is hashed
  // again (binary bodies — uploads, and GETs, whose empty body js-yaml writes as `!!binary AAAA` — keep theirs).
  let hash = typeof request.body_hash === 'string' && !(bodyMatchingIsCanonical() && typeof storedBody === 'string') ? request.body_hash : undefined;
  if (hash === undefined) {
    if (storedBody === null) throw new RecordingFileError(`${where}: no body or body_hash for ${uri}`);
    hash = bodyHash(storedBody, contentType);
  }
  const status = isRaw(response.status) ? Number(response.status.code) : Number(response.status ?? 200);
  const rawBody = isRaw(response.body) ? response.body.string : response.body;
  const body = rawBody instanceof Uint8Array ? rawBody : (text(rawBody) ?? '');
  const offsets = Array.isArray(response.stream_offsets_ms) ? response.stream_offsets_ms.map(Number) : undefined;
  const events = offsets && typeof body === 'string' ? splitEvents(body) : undefined;
  return {
    key: requestKey(method, pathOf(uri), hash),
    file,
    status: Number.isInteger(status) ? status : 200,
    headers: headerPairs(response.headers, UNRECORDED_RESPONSE_HEADERS),
    body,
    durationMs: Number(response.duration_ms ?? 0) || 0,
    // Offsets only count while they match the events (a hand edit may have changed the body).
    ...(events && offsets && events.length === offsets.length ? { events, offsetsMs: offsets } : {}),
  };
}
