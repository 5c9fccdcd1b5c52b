/**
 * Embeddings: unit-length vectors seeded by the input text, so the same text always gets the same
 * vector (apps that cache or compare embeddings behave as they would against the service).
 *
 * An answer of 16 inputs of 1,536 dimensions is ~130 KB, so it is built as bytes in one pass:
 * each vector's JSON value is cached as bytes (load tests embed the same inputs over and over),
 * the answer's length is summed first, and one Buffer receives the pieces — no joined string to
 * flatten and no UTF-8 conversion when the socket takes it.
 */
import type { Answer } from './answer.js';
import { BoundedCache } from '../bounded-cache.js';
import type { Deployment } from '../config/deployments.js';
import { errors, fail } from '../errors.js';
import { countInput } from './prompt-tokens.js';
import { inputList, validateEmbedding } from './requests.js';
import { getEncoding } from '../tokens/tokenizer.js';

const MAX_INPUTS = 2_048;
/** Serialised vectors per thread: 4,096 of them, or ~64 MB, whichever is reached first. */
const cache = new BoundedCache<Buffer>(4_096, 64 * 1024 * 1024);

/** FNV-1a over the text: a seed, not a security boundary. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A unit-length vector seeded by the text, each value rounded to 9 decimals (as short as the
 * service's), into `into` (a Float32Array gets the float32 of each rounded value, as base64 sends).
 */
export function embeddingVector<V extends Float64Array | Float32Array>(text: string, dimensions: number, into?: V): V {
  let state = seedOf(text) || 1;
  const v = (into ?? new Float64Array(dimensions)) as V;
  // The raw values first (in `v` when it is a Float64Array, else recomputed: no scratch array).
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // xorshift32, mapped to [-1, 1)
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const x = (state >>> 0) / 2147483648 - 1;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm);
  state = seedOf(text) || 1;
  for (let i = 0; i < dimensions; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const x = (state >>> 0) / 2147483648 - 1;
    v[i] = Math.round(x * scale * 1e9) / 1e9;
  }
  return v;
}

/** A vector's JSON value as bytes: base64 of its little-endian float32 values (as the service sends), or the number list. */
function serialised(text: string, dimensions: number, base64: boolean): Buffer {
  const key = `${dimensions}:${base64 ? 'b' : 'f'}:${text}`;
  let bytes = cache.get(key);
  if (bytes === undefined) {
    if (base64) {
      const floats = embeddingVector(text, dimensions, new Float32Array(dimensions));
      const encoded = Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString('base64');
      bytes = Buffer.allocUnsafeSlow(encoded.length + 2);
      bytes[0] = 0x22; // "
      bytes.write(encoded, 1, 'latin1');
      bytes[bytes.length - 1] = 0x22;
    } else {
      bytes = Buffer.from(`[${embeddingVector(text, dimensions).join(',')}]`, 'latin1');
    }
    cache.set(key, bytes, key.length + bytes.length);
  }
  return bytes;
}

const ITEM_HEAD = '{"embedding":';
const ITEM_INDEX = ',"index":';
const ITEM_TAIL = ',"object":"embedding"}';

export function generateEmbedding(body: unknown, deployment: Deployment): Answer {
  const req = validateEmbedding(body);
  const model = deployment.model;
  const inputs = inputList(req.input);
  if (inputs.length > MAX_INPUTS) fail(errors.invalidValue('input', `at most ${MAX_INPUTS} inputs are allowed per request, but got ${inputs.length}.`));
  const counts = countInput(req.input, getEncoding(model.encoding));
  for (const c of counts) if (c > model.contextWindow) fail(errors.embeddingInputTooLong(model.contextWindow, c));

  let dimensions = deployment.embeddingSize;
  if (req.dimensions != null) {
    if (!model.customDimensions) fail(errors.invalidValue('dimensions', 'This model does not support specifying dimensions.'));
    if (req.dimensions > (model.embeddingSize ?? dimensions)) {
      fail(errors.invalidValue('dimensions', `expected a value ≤ ${model.embeddingSize}, but got ${req.dimensions} instead.`));
    }
    dimensions = req.dimensions;
  }
  const base64 = req.encoding_format === 'base64';
  let promptTokens = 0;
  for (const c of counts) promptTokens += c;
  const head = '{"data":[';
  const tail = `],"model":${JSON.stringify(model.name)},"object":"list","usage":{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens}}}`;

  // The vectors, then the answer's exact length, then one pass that copies the pieces in.
  const vectors: Buffer[] = new Array(inputs.length);
  let length = head.length + Buffer.byteLength(tail) + Math.max(0, inputs.length - 1);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    const vector = serialised(typeof input === 'string' ? input : input.join(' '), dimensions, base64);
    vectors[i] = vector;
    length += ITEM_HEAD.length + vector.length + ITEM_INDEX.length + digits(i) + ITEM_TAIL.length;
  }
  const out = Buffer.allocUnsafeSlow(length);
  let at = out.write(head, 0, 'latin1');
  for (let i = 0; i < vectors.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    at += out.write(ITEM_HEAD, at, 'latin1');
    at += vectors[i]!.copy(out, at);
    at += out.write(ITEM_INDEX, at, 'latin1');
    at += out.write(String(i), at, 'latin1');
    at += out.write(ITEM_TAIL, at, 'latin1');
  }
  out.write(tail, at, 'utf8');
  return { kind: 'json', body: out, promptTokens, completionTokens: 0 };
}

const digits = (n: number): number => (n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : String(n).length);
