/**
 * Recording keys, exactly as the Python simulator computes them (python-compatibility.md §4.2), so its recordings
 * replay unchanged: md5(method + "|" + path + "|" + md5(normalised body)), the path without host
 * or query (so `api-version` does not matter), multipart bodies with their random boundary
 * replaced by a fixed one. And the file a path's recordings live in (python-compatibility.md §4.3).
 */
import { createHash } from 'node:crypto';

const FIXED_BOUNDARY = '--AOAI-API-SIMULATOR-BOUNDARY';

const md5 = (data: string | Uint8Array, encoding: 'utf8' | 'latin1' = 'utf8'): string =>
  typeof data === 'string' ? createHash('md5').update(data, encoding).digest('hex') : createHash('md5').update(data).digest('hex');

function boundaryOf(contentType: string): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

// ---- Matching that ignores volatile fields (RECORDING_IGNORE_BODY_FIELDS) ---------------------
// Off by default, so keys stay the Python simulator's. With RECORDING_IGNORE_BODY_FIELDS set, a JSON
// body is hashed as its canonical form: the named fields removed wherever they occur as keys (so
// `tool_call_id` inside messages works as well as a top-level `user`), keys sorted at every level.
// Each thread (and main, which indexes the files) sets it once at start.
let ignoredFields: ReadonlySet<string> | undefined;

export function useBodyMatching(fields: readonly string[]): void {
  ignoredFields = fields.length > 0 ? new Set(fields) : undefined;
}

/** Whether keys are computed from the body (the stored `body_hash` of a file is then not used). */
export const bodyMatchingIsCanonical = (): boolean => ignoredFields !== undefined;

function canonical(value: unknown, ignored: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((v) => canonical(v, ignored));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (!ignored.has(key)) out[key] = canonical((value as Record<string, unknown>)[key], ignored);
  return out;
}

function canonicalJson(body: string | Uint8Array, ignored: ReadonlySet<string>): string | undefined {
  try {
    return JSON.stringify(canonical(JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')), ignored));
  } catch {
    return undefined; // not JSON: hashed as it is
  }
}

/** md5 hex of the body, with a multipart body's boundary normalised. */
export function bodyHash(body: string | Uint8Array, contentType: string): string {
  if (ignoredFields && !/^multipart\/form-data/i.test(contentType) && body.length > 0) {
    const normal = canonicalJson(body, ignoredFields);
    if (normal !== undefined) return md5(normal);
  }
  if (!/^multipart\/form-data/i.test(contentType)) return md5(body);
  const boundary = boundaryOf(contentType);
  if (!boundary) return md5(body);
  // Work on bytes as latin1 text: one char per byte, so binary parts survive the replace.
  let bytes = typeof body === 'string' ? Buffer.from(body, 'utf8').toString('latin1') : Buffer.from(body).toString('latin1');
  const marker = '--' + boundary;
  if (bytes.startsWith(marker)) bytes = FIXED_BOUNDARY + bytes.slice(marker.length);
  bytes = bytes.split('\n' + marker).join('\n' + FIXED_BOUNDARY);
  return md5(bytes, 'latin1');
}

export function requestKey(method: string, path: string, hashOfBody: string): string {
  return md5(`${method.toUpperCase()}|${path}|${hashOfBody}`);
}

/**
 * The longest file name written, in bytes: file systems allow 255, and the atomic write's temp
 * file adds `.<pid>.tmp` (at most 12 more).
 */
export const MAX_RECORDING_FILE_NAME = 200;
/** How much of the Python-style name a shortened one keeps, before `-<hash>.yaml`. */
const KEPT_BYTES = MAX_RECORDING_FILE_NAME - '-'.length - 16 - '.yaml'.length;

/**
 * `/openai/deployments/x/chat/completions` → `openai_deployments_x_chat_completions.yaml`, the
 * Python simulator's layout. A name that would pass MAX_RECORDING_FILE_NAME bytes (a 300-character
 * deployment name) keeps its readable start and ends with 16 hex digits of the path's md5, so
 * every path still has one file of its own, and one that a file system can hold.
 */
export function recordingFileName(path: string): string {
  const python = path.replace(/^\/+|\/+$/g, '').replace(/\//g, '_');
  if (Buffer.byteLength(python) + '.yaml'.length <= MAX_RECORDING_FILE_NAME) return python + '.yaml';
  // Cut at a character boundary: a name must stay valid UTF-8.
  const kept = Buffer.from(python).subarray(0, KEPT_BYTES).toString('utf8').replace(/\uFFFD+$/, '');
  return `${kept}-${md5(path).slice(0, 16)}.yaml`;
}
