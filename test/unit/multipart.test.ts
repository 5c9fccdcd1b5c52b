import { describe, expect, it } from 'vitest';
import { boundaryOf, parseMultipart } from '../../src/core/wire/multipart.js';
import { formBody } from '../../src/core/generation/audio.js';

/** What `fetch` with a FormData sends: the real encoder, not a hand-written body. */
async function encodeForm(form: FormData): Promise<{ contentType: string; body: Buffer }> {
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return { contentType: request.headers.get('content-type')!, body: Buffer.from(await request.arrayBuffer()) };
}

describe('multipart/form-data', () => {
  it('reads the boundary, quoted or not, and only from a form-data type', () => {
    expect(boundaryOf('multipart/form-data; boundary=abc123')).toBe('abc123');
    expect(boundaryOf('multipart/form-data; charset=utf-8; boundary="a b"')).toBe('a b');
    expect(boundaryOf('application/json')).toBeUndefined();
    expect(boundaryOf('multipart/form-data')).toBeUndefined();
  });

  it('parses what a real encoder sends: fields, a binary file with CRLFs inside, UTF-8 names, array fields', async () => {
    const audio = Buffer.from([0xff, 0xfb, 0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0x01, 0x0d, 0x0a]); // bytes that look like delimiters
    const form = new FormData();
    form.append('file', new Blob([audio], { type: 'audio/mpeg' }), 'réunion.mp3');
    form.append('model', 'whisper');
    form.append('response_format', 'verbose_json');
    form.append('timestamp_granularities[]', 'word');
    form.append('timestamp_granularities[]', 'segment');
    const { contentType, body } = await encodeForm(form);
    const parts = parseMultipart(body, boundaryOf(contentType)!)!;
    expect(parts.map((p) => p.name)).toEqual(['file', 'model', 'response_format', 'timestamp_granularities[]', 'timestamp_granularities[]']);
    expect(parts[0]!.filename).toBe('réunion.mp3');
    expect(parts[0]!.contentType).toBe('audio/mpeg');
    expect(Buffer.compare(parts[0]!.data, audio)).toBe(0);
    expect(formBody(parts)).toEqual({
      file: { filename: 'réunion.mp3', content_type: 'audio/mpeg', size: audio.length },
      model: 'whisper',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
  });

  it('refuses malformed bodies instead of guessing', async () => {
    const form = new FormData();
    form.append('model', 'whisper');
    const { contentType, body } = await encodeForm(form);
    const boundary = boundaryOf(contentType)!;
    expect(parseMultipart(body, 'another-boundary')).toBeUndefined();
    expect(parseMultipart(body.subarray(0, body.length - 30), boundary)).toBeUndefined(); // cut short
    expect(parseMultipart(Buffer.from(`--${boundary}\r\nX-Nothing: 1\r\n\r\nvalue\r\n--${boundary}--`), boundary)).toBeUndefined(); // no disposition
    expect(parseMultipart(Buffer.from(`--${boundary}--\r\n`), boundary)).toEqual([]);
  });
});
