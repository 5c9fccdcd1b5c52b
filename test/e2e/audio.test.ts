/**
 * Audio transcriptions and translations through the official SDK: every response format, the
 * whisper deployment's requests-per-minute limit, and latency per MiB of upload.
 */
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureClient, openaiClient } from '../helpers/clients.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const MS_PER_MIB = 800;
/** Ten seconds of 128 kbit/s audio, as far as the simulator can tell (it never decodes it). */
const CLIP_BYTES = 160_000;
const clip = (bytes = CLIP_BYTES): Promise<File> => toFile(Buffer.alloc(bytes, 7), 'clip.mp3', { type: 'audio/mpeg' });
/** Undefined deployments are allowed and unlimited; `whisper` is the built-in one with 3 RPM. */
const UNLIMITED = 'whisper-no-limit';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ LATENCY_OPENAI_TRANSLATIONS_MEAN: String(MS_PER_MIB), LATENCY_OPENAI_TRANSLATIONS_STD_DEV: '0' });
});
afterAll(async () => {
  expect(await sim.stop()).toBe(0);
});

describe('audio transcriptions and translations', () => {
  it('transcribes to json, text, srt, vtt and verbose_json, with a length that follows the recording', async () => {
    const client = azureClient(sim);
    const json = await client.audio.transcriptions.create({ model: UNLIMITED, file: await clip(), response_format: 'json' });
    expect(json.text.split(' ').length).toBeGreaterThan(5);

    const text = await client.audio.transcriptions.create({ model: UNLIMITED, file: await clip(), response_format: 'text' });
    expect(typeof text).toBe('string');
    expect(text as unknown as string).toMatch(/^[A-Z].*\.\n$/s);

    const verbose = await client.audio.transcriptions.create({
      model: UNLIMITED,
      file: await clip(),
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
      language: 'fr',
    });
    expect(verbose.language).toBe('fr');
    expect(verbose.duration).toBeCloseTo(CLIP_BYTES / 16_000, 1);
    const segments = verbose.segments!;
    expect(segments[0]!.start).toBe(0);
    expect(segments.at(-1)!.end).toBeCloseTo(verbose.duration, 1);
    segments.slice(1).forEach((s, i) => expect(s.start).toBeCloseTo(segments[i]!.end, 1)); // contiguous
    expect(segments.map((s) => s.text.trim()).join(' ')).toBe(verbose.text);
    expect(verbose.words!.length).toBe(verbose.text.split(' ').length);

    const longer = await client.audio.transcriptions.create({ model: UNLIMITED, file: await clip(CLIP_BYTES * 4), response_format: 'verbose_json' });
    expect(longer.text.length).toBeGreaterThan(verbose.text.length * 2);

    const srt = (await client.audio.transcriptions.create({ model: UNLIMITED, file: await clip(), response_format: 'srt' })) as unknown as string;
    expect(srt).toMatch(/^1\n00:00:00,000 --> 00:00:\d\d,\d{3}\n[A-Z][^\n]*\.\n\n/);
    const vtt = (await client.audio.transcriptions.create({ model: UNLIMITED, file: await clip(), response_format: 'vtt' })) as unknown as string;
    expect(vtt).toMatch(/^WEBVTT\n\n00:00:00\.000 --> 00:00:\d\d\.\d{3}\n[A-Z]/);
  });

  it('translates into English, on the Azure and the OpenAI-style routes', async () => {
    const azure = await azureClient(sim).audio.translations.create({ model: UNLIMITED, file: await clip(), response_format: 'verbose_json' });
    expect(azure.language).toBe('english');
    expect(azure.text.length).toBeGreaterThan(10);
    const v1 = await openaiClient(sim, '/openai/v1').audio.translations.create({ model: UNLIMITED, file: await clip() });
    expect(v1.text.length).toBeGreaterThan(10);
  });

  it('takes the per-MiB latency from the arrival of the upload', async () => {
    const bytes = 512 * 1024; // half a MiB: 400 ms
    const t0 = performance.now();
    await azureClient(sim).audio.transcriptions.create({ model: UNLIMITED, file: await clip(bytes) });
    expect(performance.now() - t0).toBeGreaterThanOrEqual((MS_PER_MIB * bytes) / (1024 * 1024) - 1);
  });

  it("limits the whisper deployment by requests per minute, with AOAI's 429", async () => {
    const client = azureClient(sim);
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await client.audio.translations.create({ model: 'whisper', file: await clip(1_000) }).withResponse();
      remaining.push(response.headers.get('x-ratelimit-remaining-requests'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const err = await client.audio.translations.create({ model: 'whisper', file: await clip(1_000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.message).toMatch(/AudioTranslations_Create Operation .* exceeded call rate limit .* Please retry after (59|60) seconds\./);
    expect(Number(e.headers?.get('retry-after'))).toBeGreaterThanOrEqual(59);
  });

  it('answers bad uploads with clear 400s and an oversized one with 413, and stays up', async () => {
    const url = `${sim.url}/openai/deployments/${UNLIMITED}/audio/transcriptions?api-version=2024-10-21`;
    const post = (body: BodyInit, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(url, { method: 'POST', headers: { 'api-key': sim.apiKey, ...headers }, body });
    const error = async (res: Response): Promise<{ status: number; code: string; message: string }> => {
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      return { status: res.status, code: error.code, message: error.message };
    };

    expect(await error(await post('{"file": "x"}', { 'content-type': 'application/json' }))).toMatchObject({ status: 400, message: expect.stringContaining('multipart/form-data') });
    const noFile = new FormData();
    noFile.append('model', 'whisper');
    expect(await error(await post(noFile))).toMatchObject({ status: 400, code: 'missing_required_parameter' });
    const badFormat = new FormData();
    badFormat.append('file', new Blob([Buffer.alloc(100)]), 'a.mp3');
    badFormat.append('response_format', 'mp3');
    expect(await error(await post(badFormat))).toMatchObject({ status: 400, message: expect.stringContaining('json, text, srt, vtt, verbose_json') });
    expect(await error(await post('--x\r\nbroken', { 'content-type': 'multipart/form-data; boundary=x' }))).toMatchObject({ status: 400, code: 'invalid_request' });
    const huge = new FormData();
    huge.append('file', new Blob([Buffer.alloc(26_214_401)]), 'long.mp3');
    expect(await error(await post(huge))).toMatchObject({ status: 413, message: 'Maximum content size limit (26214400) exceeded (26214401 bytes read)' });
    // A chat deployment (a built-in one) does not do audio.
    const onChat = new FormData();
    onChat.append('file', new Blob([Buffer.alloc(100)]), 'a.mp3');
    const res = await fetch(`${sim.url}/openai/deployments/gpt-35-turbo-1k-token/audio/transcriptions?api-version=2024-10-21`, { method: 'POST', headers: { 'api-key': sim.apiKey }, body: onChat });
    expect(res.status).toBe(400);
    expect((await fetch(`${sim.url}/`)).status).toBe(200);
  });
});
