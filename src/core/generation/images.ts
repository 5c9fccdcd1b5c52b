/**
 * Image generation (`images/generations`, reference §6) for dall-e-3 and gpt-image-1: each
 * model's request rules (prompt length, `n`, sizes, quality, style, `response_format`,
 * `output_format`), real PNGs of the requested size that differ by prompt (png.ts), `url`
 * answers that point at the simulator itself (`GET /images/generated/…`, no key, valid until
 * `se`, as the service's blob links), `revised_prompt` and the Azure filter blocks for
 * dall-e-3, `usage` for gpt-image-1, and the content-policy 400 for a prompt with a blocked word.
 */
import type { Answer } from './answer.js';
import { CONTENT_FILTER_RESULTS } from './content-filter.js';
import type { Deployment } from '../config/deployments.js';
import { errors, fail } from '../errors.js';
import type { GenerateOptions } from './options.js';
import { asObject } from './requests.js';
import { cellPng, seedOf } from './png.js';
import { getEncoding } from '../tokens/tokenizer.js';
import { BoundedCache } from '../bounded-cache.js';

/**
 * A load test repeats its prompts: the images of recent (size, seed) pairs are kept (a 1024×1024
 * PNG is ~5 kB; encoding one costs 0.5–1 ms of the event loop), for b64 answers and links alike.
 */
const recent = new BoundedCache<Buffer>(512, 8 * 1024 * 1024);

function picture(width: number, height: number, seed: number): Buffer {
  const key = `${width}x${height}:${seed}`;
  let png = recent.get(key);
  if (!png) recent.set(key, (png = cellPng(width, height, seed)), png.length);
  return png;
}

export type { ImageOptions } from './options.js';

interface ModelRules {
  readonly maxPrompt: number;
  readonly maxN: number;
  readonly sizes: readonly string[];
  readonly qualities: readonly string[];
  readonly defaultQuality: string;
  readonly styles?: readonly string[];
  /** dall-e-3: `url` (default) or `b64_json`; gpt-image-1 rejects the parameter (always b64). */
  readonly responseFormats?: readonly string[];
  readonly outputFormats?: readonly string[];
}

const RULES: Readonly<Record<'dall-e-3' | 'gpt-image-1', ModelRules>> = {
  'dall-e-3': { maxPrompt: 4000, maxN: 1, sizes: ['1024x1024', '1792x1024', '1024x1792'], qualities: ['standard', 'hd'], defaultQuality: 'standard', styles: ['vivid', 'natural'], responseFormats: ['url', 'b64_json'] },
  'gpt-image-1': { maxPrompt: 32000, maxN: 10, sizes: ['1024x1024', '1024x1536', '1536x1024', 'auto'], qualities: ['low', 'medium', 'high', 'auto'], defaultQuality: 'high', outputFormats: ['png'] },
};

/** gpt-image-1's output tokens by quality and size (OpenAI's published table). */
const IMAGE_TOKENS: Readonly<Record<string, readonly [square: number, portraitOrLandscape: number]>> = { low: [272, 408], medium: [1056, 1584], high: [4160, 6240] };

const PROMPT_FILTER = { ...CONTENT_FILTER_RESULTS, profanity: { detected: false, filtered: false }, jailbreak: { detected: false, filtered: false } };

const listed = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');

function oneOf(body: Record<string, unknown>, field: string, allowed: readonly string[], fallback: string): string {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'string' || !allowed.includes(v)) fail(errors.invalidValue(field, `Supported values are: ${listed(allowed)}, but got ${JSON.stringify(v)} instead.`));
  return v;
}

function unknownParameter(field: string): never {
  return fail({ status: 400, code: 'unknown_parameter', type: 'invalid_request_error', param: field, message: `Unknown parameter: '${field}'.` });
}

/** The file name of an image served by `GET /images/generated/{w}x{h}/{seed}.png?se=…`. */
export function imagePath(width: number, height: number, seed: number): string {
  return `/images/generated/${width}x${height}/${seed.toString(16)}.png`;
}

/** The image a `url` answer names, or undefined when the link is malformed or expired. */
export function imageForPath(size: string, file: string, query: string, nowSeconds = Date.now() / 1000): Buffer | undefined {
  const m = /^(\d{3,4})x(\d{3,4})$/.exec(size);
  const f = /^([0-9a-f]{1,8})\.png$/.exec(file);
  const se = Number(new URLSearchParams(query).get('se'));
  if (!m || !f || !Number.isFinite(se) || se < nowSeconds) return undefined;
  const [width, height] = [Number(m[1]), Number(m[2])];
  if (width > 4096 || height > 4096) return undefined;
  return picture(width, height, parseInt(f[1]!, 16));
}

export function generateImages(v: unknown, deployment: Deployment, options: GenerateOptions): Answer {
  const body = asObject(v);
  const modelName = deployment.model.name === 'gpt-image-1' ? 'gpt-image-1' : 'dall-e-3';
  const rules = RULES[modelName];
  const prompt = body.prompt;
  if (prompt === undefined || prompt === null) fail(errors.missingField('prompt'));
  if (typeof prompt !== 'string') fail(errors.invalidType('prompt', 'a string', prompt));
  if (prompt.length > rules.maxPrompt) {
    fail({ status: 400, code: 'string_above_max_length', type: 'invalid_request_error', param: 'prompt', message: `Invalid 'prompt': string too long. Expected a string with maximum length ${rules.maxPrompt}, but got a string with length ${prompt.length} instead.` });
  }
  const n = body.n ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > rules.maxN) {
    fail(errors.invalidValue('n', rules.maxN === 1 ? `${modelName} supports only n=1, but got ${JSON.stringify(n)} instead.` : `expected an integer between 1 and ${rules.maxN}, but got ${JSON.stringify(n)} instead.`));
  }
  let size = oneOf(body, 'size', rules.sizes, '1024x1024');
  if (size === 'auto') size = '1024x1024';
  const quality = oneOf(body, 'quality', rules.qualities, rules.defaultQuality);
  if (rules.styles) oneOf(body, 'style', rules.styles, 'vivid');
  else if (body.style !== undefined) unknownParameter('style');
  let format = 'b64_json';
  if (rules.responseFormats) format = oneOf(body, 'response_format', rules.responseFormats, 'url');
  else if (body.response_format !== undefined && body.response_format !== null) unknownParameter('response_format');
  if (rules.outputFormats) oneOf(body, 'output_format', rules.outputFormats, 'png');
  else if (body.output_format !== undefined) unknownParameter('output_format');

  const images = options.images;
  const lower = prompt.toLowerCase();
  if (images?.blockedWords.some((w) => lower.includes(w.toLowerCase()))) fail(errors.imagePromptBlocked());

  const [width, height] = size.split('x').map(Number) as [number, number];
  const created = Math.floor(Date.now() / 1000);
  const expiry = created + (images?.urlTtlSeconds ?? 86_400);
  const data = Array.from({ length: n }, (_, i) => {
    const seed = (seedOf(prompt) + i) >>> 0;
    const item = format === 'url' ? { url: `${images?.origin ?? 'http://localhost:8000'}${imagePath(width, height, seed)}?se=${expiry}` } : { b64_json: picture(width, height, seed).toString('base64') };
    if (modelName === 'gpt-image-1') return item;
    return { ...item, revised_prompt: `A detailed, vivid illustration of ${prompt}`, content_filter_results: CONTENT_FILTER_RESULTS, prompt_filter_results: PROMPT_FILTER };
  });
  if (modelName === 'dall-e-3') return { kind: 'json', body: JSON.stringify({ created, data }), promptTokens: 0, completionTokens: 0, images: n };
  const promptTokens = getEncoding(deployment.model.encoding).count(prompt);
  const perImage = IMAGE_TOKENS[quality === 'auto' ? 'high' : quality]![width === height ? 0 : 1];
  const completionTokens = perImage * n;
  const usage = { input_tokens: promptTokens, output_tokens: completionTokens, total_tokens: promptTokens + completionTokens, input_tokens_details: { text_tokens: promptTokens, image_tokens: 0 } };
  const answer = { created, data, background: 'opaque', output_format: 'png', quality: quality === 'auto' ? 'high' : quality, size, usage };
  return { kind: 'json', body: JSON.stringify(answer), promptTokens, completionTokens, images: n };
}
