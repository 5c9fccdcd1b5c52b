/**
 * Audio transcriptions and translations (whisper deployments): a `multipart/form-data` upload in,
 * lorem speech out, in the five response formats of the service. The length of the speech follows
 * the length of the recording, estimated from its size; the latency model charges per MiB.
 *
 * The Python simulator answered 10 tokens per started 1,000 bytes (16,940 tokens for a 1.6 MB
 * clip, about 100 minutes of talk): here a recording is taken as 128 kbit/s audio (16,000 bytes a
 * second) spoken at 3 tokens a second, so a one-minute clip gives about 180 tokens.
 */
import type { Answer } from './answer.js';
import type { Deployment } from '../config/deployments.js';
import { errors, fail } from '../errors.js';
import type { GenerateOptions } from './options.js';
import type { FormPart } from '../wire/multipart.js';
import { corpusFor } from './lorem.js';
import { isObject } from './requests.js';
import { getEncoding } from '../tokens/tokenizer.js';

/** The service's upload limit: 25 MiB. */
export const MAX_AUDIO_BYTES = 26_214_400;
const BYTES_PER_SECOND = 16_000;
const TOKENS_PER_SECOND = 3;

/** An uploaded file, as the generators see it: its bytes are not needed, only their number. */
export interface UploadedFile {
  readonly filename: string;
  readonly content_type: string;
  readonly size: number;
}

/**
 * A form as a request body: text fields as strings, files as `UploadedFile`; fields named
 * `x[]` (how SDKs send arrays, e.g. `timestamp_granularities[]`) collected into arrays under `x`.
 */
export function formBody(parts: readonly FormPart[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const part of parts) {
    const value: unknown =
      part.filename !== undefined
        ? ({ filename: part.filename, content_type: part.contentType ?? 'application/octet-stream', size: part.data.length } satisfies UploadedFile)
        : part.data.toString('utf8');
    if (part.name.endsWith('[]')) {
      const name = part.name.slice(0, -2);
      body[name] = [...((body[name] as unknown[] | undefined) ?? []), value];
    } else body[part.name] = value;
  }
  return body;
}

type Task = 'transcribe' | 'translate';

interface Segment {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

interface Speech {
  readonly task: Task;
  readonly language: string;
  readonly duration: number;
  readonly text: string;
  readonly segments: readonly Segment[];
  readonly words: boolean;
  readonly tokensOf: (text: string) => number[];
}

const clock = (seconds: number, separator: ',' | '.'): string => {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
};

const round2 = (x: number): number => Math.round(x * 100) / 100;

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';

/** The response formats, as data: each renders the speech and names its content type. */
const FORMATS: Readonly<Record<string, (s: Speech) => { readonly body: string; readonly contentType: string }>> = {
  json: (s) => ({ body: JSON.stringify({ text: s.text }), contentType: JSON_TYPE }),
  text: (s) => ({ body: `${s.text}\n`, contentType: TEXT }),
  srt: (s) => ({
    body: s.segments.map((seg, i) => `${i + 1}\n${clock(seg.start, ',')} --> ${clock(seg.end, ',')}\n${seg.text}\n\n`).join(''),
    contentType: TEXT,
  }),
  vtt: (s) => ({
    body: `WEBVTT\n\n${s.segments.map((seg) => `${clock(seg.start, '.')} --> ${clock(seg.end, '.')}\n${seg.text}\n\n`).join('')}`,
    contentType: TEXT,
  }),
  verbose_json: (s) => ({ body: JSON.stringify(verbose(s)), contentType: JSON_TYPE }),
};

function verbose(s: Speech): Record<string, unknown> {
  return {
    task: s.task,
    language: s.language,
    duration: round2(s.duration),
    text: s.text,
    segments: s.segments.map((seg, id) => ({
      id,
      seek: Math.floor(seg.start * 100),
      start: round2(seg.start),
      end: round2(seg.end),
      text: ` ${seg.text}`,
      tokens: s.tokensOf(` ${seg.text}`),
      temperature: 0,
      avg_logprob: -0.25,
      compression_ratio: 1.4,
      no_speech_prob: 0.01,
    })),
    ...(s.words ? { words: words(s.segments) } : {}),
  };
}

/** Word timings: each segment's time shared out by word length. */
function words(segments: readonly Segment[]): { word: string; start: number; end: number }[] {
  return segments.flatMap((seg) => {
    const list = seg.text.split(/\s+/).filter(Boolean);
    const letters = list.reduce((n, w) => n + w.length, 0) || 1;
    let at = seg.start;
    return list.map((word) => {
      const start = at;
      at += ((seg.end - seg.start) * word.length) / letters;
      return { word: word.replace(/[.,]$/, ''), start: round2(start), end: round2(at) };
    });
  });
}

/** Sentences as segments, their times shared out by length over the recording's duration. */
function segmentsOf(text: string, duration: number): Segment[] {
  const sentences = text.split(/(?<=\.)\s+/).filter(Boolean);
  const total = sentences.reduce((n, s) => n + s.length, 0) || 1;
  let at = 0;
  return sentences.map((sentence) => {
    const start = at;
    at += (duration * sentence.length) / total;
    return { start, end: at, text: sentence };
  });
}

function isUploadedFile(value: unknown): value is UploadedFile {
  return isObject(value) && typeof value.size === 'number' && typeof value.filename === 'string';
}

function generateSpeech(task: Task, body: unknown, deployment: Deployment): Answer {
  if (!isObject(body)) return fail(errors.bodyNotObject(body));
  const file = body.file;
  if (file === undefined) fail(errors.missingField('file'));
  if (!isUploadedFile(file)) return fail(errors.invalidType('file', 'a file upload', file));
  if (file.size === 0) fail(errors.invalidValue('file', 'the audio file is empty.'));
  if (file.size > MAX_AUDIO_BYTES) fail(errors.audioTooLarge(MAX_AUDIO_BYTES, file.size));
  const format = body.response_format ?? 'json';
  const render = typeof format === 'string' ? FORMATS[format] : undefined;
  if (!render) return fail(errors.invalidValue('response_format', `must be one of ${Object.keys(FORMATS).join(', ')}.`));
  const language = task === 'translate' ? 'english' : typeof body.language === 'string' && body.language !== '' ? body.language : 'english';
  const granularities = Array.isArray(body.timestamp_granularities) ? body.timestamp_granularities : [];

  const encoding = getEncoding(deployment.model.encoding);
  const duration = file.size / BYTES_PER_SECOND;
  const tokens = Math.max(1, Math.ceil(duration * TOKENS_PER_SECOND));
  const corpus = corpusFor(encoding);
  // Whole sentences of about that length (speech has no token limit to cut it short).
  const speech = corpus.takeSentences(tokens, Infinity)!;
  const text = speech.text.trim();
  const rendered = render({
    task,
    language,
    duration,
    text,
    segments: segmentsOf(text, duration),
    words: granularities.includes('word'),
    tokensOf: (t) => encoding.encode(t),
  });
  return { kind: 'json', body: rendered.body, contentType: rendered.contentType, promptTokens: 0, completionTokens: speech.count, audioBytes: file.size };
}

export const generateTranscription = (body: unknown, deployment: Deployment, _options: GenerateOptions): Answer => generateSpeech('transcribe', body, deployment);
export const generateTranslation = (body: unknown, deployment: Deployment, _options: GenerateOptions): Answer => generateSpeech('translate', body, deployment);
