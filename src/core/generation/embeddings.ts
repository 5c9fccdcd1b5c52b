/**
 * Embeddings: unit-length vectors seeded by the input text, so the same text always gets the same
 * vector (apps that cache or compare embeddings behave as they would against the service).
 * Serialised vectors are cached: load tests embed the same inputs over and over.
 */
import type { Answer } from './answer.js';
import { BoundedCache } from '../bounded-cache.js';
import type { Deployment } from '../config/deployments.js';
import { errors, fail } from '../errors.js';
import { countInput } from './prompt-tokens.js';
import { inputList, validateEmbedding } from './requests.js';
import { getEncoding } from '../tokens/tokenizer.js';

const MAX_INPUTS = 2_048;
/** Serialised vectors per thread: 4,096 of them, or ~64 MB of text, whichever is reached first. */
const cache = new BoundedCache<string>(4_096, 64 * 1024 * 1024);

/** FNV-1a over the text: a seed, not a security boundary. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A unit-length vector seeded by the text, each value rounded to 9 decimals (as short as the service's). */
export function embeddingVector(text: string, dimensions: number): Float64Array {
  let state = seedOf(text) || 1;
  const v = new Float64Array(dimensions);
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    // xorshift32, mapped to [-1, 1)
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const x = (state >>> 0) / 2147483648 - 1;
    v[i] = x;
    norm += x * x;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) v[i] = Math.round(v[i]! * scale * 1e9) / 1e9;
  return v;
}

function serialised(text: string, dimensions: number, base64: boolean): string {
  const key = `${dimensions}:${base64 ? 'b' : 'f'}:${text}`;
  let json = cache.get(key);
  if (json === undefined) {
    const v = embeddingVector(text, dimensions);
    // base64 is the little-endian float32 bytes, as the service sends them.
    json = base64 ? `"${Buffer.from(Float32Array.from(v).buffer).toString('base64')}"` : `[${v.join(',')}]`;
    cache.set(key, json, key.length + json.length);
  }
  return json;
}

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
  const data = inputs
    .map((input, i) => `{"embedding":${serialised(typeof input === 'string' ? input : input.join(' '), dimensions, base64)},"index":${i},"object":"embedding"}`)
    .join(',');
  const promptTokens = counts.reduce((a, b) => a + b, 0);
  const json = `{"data":[${data}],"model":"${model.name}","object":"list","usage":{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens}}}`;
  return { kind: 'json', body: json, promptTokens, completionTokens: 0 };
}
