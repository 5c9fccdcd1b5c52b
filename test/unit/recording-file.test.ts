import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { splitEvents, RecordingFileError, type RecordedInteraction } from '../../src/core/recording/recording-file.js';
import { parseRecordingFile, serializeRecordingFile } from '../../src/core/recording/recording-yaml.js';
import { bodyHash, requestKey } from '../../src/core/recording/recording-key.js';

const md5 = (s: string): string => createHash('md5').update(Buffer.from(s, 'utf8')).digest('hex');

const PATH = '/openai/deployments/gpt-35-turbo/chat/completions';
const FILE = 'openai_deployments_gpt-35-turbo_chat_completions.yaml';
const BODY1 = '{"messages": [{"role": "user", "content": "hi"}], "max_tokens": 50}';
const HASH2 = '0123456789abcdef0123456789abcdef';

/** A file as the Python simulator writes it (python-compatibility.md §4.3), two interactions. */
const PYTHON_FILE = `interactions:
- context_values:
    Deployment-Name: gpt-35-turbo
    Limiter: openai-tokens
    Operation-Name: chat_completions
    X-OpenAI-Tokens-Completion: 50
    X-OpenAI-Tokens-Prompt: 7
    X-OpenAI-Tokens-Total: 57
  request:
    body: '${BODY1}'
    headers:
      accept:
      - application/json
      content-type:
      - application/json
    method: POST
    uri: http://localhost:8000${PATH}?api-version=2024-02-01
  response:
    body:
      string: '{"id": "chatcmpl-1", "object": "chat.completion"}'
    duration_ms: 1234
    headers:
      content-type:
      - application/json
      x-ratelimit-remaining-requests:
      - '119'
      - '118'
    status:
      code: 200
- context_values: {}
  request:
    body: null
    body_hash: ${HASH2}
    headers:
      accept:
      - application/json
      content-type:
      - application/json
    method: POST
    uri: http://localhost:8000${PATH}?api-version=2024-06-01
  response:
    body:
      string: '{"error": {"code": "429"}}'
    headers:
      Content-Type:
      - application/json
    status:
      code: 429
version: 1
`;

/** One interaction as YAML (the body given as a JSON string, which YAML reads as a double-quoted scalar). */
function oneInteraction(opts: { uri?: string; requestBody?: string; responseBody: string; offsets?: number[] }): string {
  const lines = [
    'interactions:',
    '- request:',
    `    body: ${JSON.stringify(opts.requestBody ?? '{"stream": true}')}`,
    '    headers:',
    '      content-type:',
    '      - application/json',
    '    method: POST',
    `    uri: ${opts.uri ?? `http://localhost:8000${PATH}?api-version=2024-02-01`}`,
    '  response:',
    '    body:',
    `      string: ${JSON.stringify(opts.responseBody)}`,
    '    duration_ms: 50',
    '    headers:',
    '      content-type:',
    '      - text/event-stream',
    '    status:',
    '      code: 200',
  ];
  if (opts.offsets) lines.push('    stream_offsets_ms:', ...opts.offsets.map((o) => `    - ${o}`));
  lines.push('version: 1', '');
  return lines.join('\n');
}

describe('parseRecordingFile: Python-format files', () => {
  const parsed = parseRecordingFile(PYTHON_FILE, FILE);
  const [first, second] = parsed.entries;

  it('reads every interaction', () => {
    expect(parsed.entries).toHaveLength(2);
    expect(parsed.interactions).toHaveLength(2);
  });

  it('computes the key from the body when body_hash is absent', () => {
    const expected = requestKey('POST', PATH, bodyHash(BODY1, 'application/json'));
    expect(first!.key).toBe(expected);
    // Independently: md5("POST|path|md5(body)").
    expect(first!.key).toBe(md5(`POST|${PATH}|${md5(BODY1)}`));
  });

  it('uses the stored body_hash when the body is null', () => {
    expect(second!.key).toBe(requestKey('POST', PATH, HASH2));
    expect(second!.key).toBe(md5(`POST|${PATH}|${HASH2}`));
  });

  it('reads status, headers (first value), body and duration', () => {
    expect(first!.status).toBe(200);
    expect(first!.headers).toEqual([
      ['content-type', 'application/json'],
      ['x-ratelimit-remaining-requests', '119'],
    ]);
    expect(first!.body).toBe('{"id": "chatcmpl-1", "object": "chat.completion"}');
    expect(first!.durationMs).toBe(1234);
    expect(first!.file).toBe(FILE);
    expect(first!.events).toBeUndefined();
    expect(first!.offsetsMs).toBeUndefined();

    expect(second!.status).toBe(429);
    expect(second!.headers).toEqual([['content-type', 'application/json']]);
    expect(second!.body).toBe('{"error": {"code": "429"}}');
    expect(second!.durationMs).toBe(0); // duration_ms absent
  });

  it('ignores the query string (api-version) in the key', () => {
    const a = parseRecordingFile(oneInteraction({ uri: `http://localhost:8000${PATH}?api-version=2024-02-01`, responseBody: 'x' }), FILE);
    const b = parseRecordingFile(oneInteraction({ uri: `http://localhost:8000${PATH}?api-version=2025-01-01-preview`, responseBody: 'x' }), FILE);
    const c = parseRecordingFile(oneInteraction({ uri: `http://example.com:1234${PATH}`, responseBody: 'x' }), FILE);
    const expected = requestKey('POST', PATH, bodyHash('{"stream": true}', 'application/json'));
    expect(a.entries[0]!.key).toBe(expected);
    expect(b.entries[0]!.key).toBe(expected);
    expect(c.entries[0]!.key).toBe(expected);
  });

  it('returns a !!binary response body as a Uint8Array with its bytes', () => {
    const bytes = [0x49, 0x44, 0x33, 0x00, 0xff, 0xfe, 0x80, 0x0a];
    const b64 = Buffer.from(bytes).toString('base64');
    const text = PYTHON_FILE.replace(`string: '{"error": {"code": "429"}}'`, `string: !!binary |\n        ${b64}`);
    expect(text).toContain('!!binary');
    const entry = parseRecordingFile(text, FILE).entries[1]!;
    expect(entry.body).toBeInstanceOf(Uint8Array);
    expect(Array.from(entry.body as Uint8Array)).toEqual(bytes);
  });

  it('recomputes the key from a !!binary (multipart) request body without body_hash', () => {
    // Python hashes the request body's raw bytes; a non-UTF-8 part must not be decoded as text.
    const boundary = 'abc123';
    const contentType = `multipart/form-data; boundary=${boundary}`;
    const raw = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\n`, 'utf8'),
      Buffer.from([0xff, 0xfe, 0x80, 0x00]),
      Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8'),
    ]);
    const text = [
      'interactions:',
      '- request:',
      `    body: !!binary |`,
      `      ${raw.toString('base64')}`,
      '    headers:',
      '      content-type:',
      `      - '${contentType}'`,
      '    method: POST',
      '    uri: http://localhost:8000/openai/deployments/whisper/audio/translations?api-version=2024-06-01',
      '  response:',
      '    body:',
      `      string: '{"text": "hi"}'`,
      '    status:',
      '      code: 200',
      'version: 1',
      '',
    ].join('\n');
    const entry = parseRecordingFile(text, 'f.yaml').entries[0]!;
    expect(entry.key).toBe(requestKey('POST', '/openai/deployments/whisper/audio/translations', bodyHash(new Uint8Array(raw), contentType)));
  });
});

describe('parseRecordingFile: streams', () => {
  const events = ['data: {"choices": [{"delta": {"content": "Hel"}}]}\n\n', 'data: {"choices": [{"delta": {"content": "lo"}}]}\n\n', 'data: [DONE]\n\n'];
  const body = events.join('');

  it('splits the body into events and keeps the offsets when they match', () => {
    const entry = parseRecordingFile(oneInteraction({ responseBody: body, offsets: [10, 25, 40] }), FILE).entries[0]!;
    expect(entry.body).toBe(body);
    expect(entry.events).toEqual(events);
    expect(entry.offsetsMs).toEqual([10, 25, 40]);
  });

  it('drops pacing (but still serves the body) when offsets and events do not match', () => {
    const fewer = parseRecordingFile(oneInteraction({ responseBody: body, offsets: [10, 25] }), FILE).entries[0]!;
    expect(fewer.body).toBe(body);
    expect(fewer.events).toBeUndefined();
    expect(fewer.offsetsMs).toBeUndefined();

    const more = parseRecordingFile(oneInteraction({ responseBody: body, offsets: [10, 25, 40, 55] }), FILE).entries[0]!;
    expect(more.body).toBe(body);
    expect(more.events).toBeUndefined();
    expect(more.offsetsMs).toBeUndefined();
  });

  it('has no events without stream_offsets_ms', () => {
    const entry = parseRecordingFile(oneInteraction({ responseBody: body }), FILE).entries[0]!;
    expect(entry.body).toBe(body);
    expect(entry.events).toBeUndefined();
    expect(entry.offsetsMs).toBeUndefined();
  });
});

describe('splitEvents', () => {
  it('keeps each event with its trailing blank line', () => {
    expect(splitEvents('data: a\n\ndata: b\n\n')).toEqual(['data: a\n\n', 'data: b\n\n']);
  });

  it('keeps a trailing partial event', () => {
    expect(splitEvents('data: a\n\ndata: b\n\ndata: c')).toEqual(['data: a\n\n', 'data: b\n\n', 'data: c']);
    expect(splitEvents('data: only')).toEqual(['data: only']);
  });

  it('keeps multi-line events together and rejoins to the original', () => {
    const body = 'event: x\ndata: 1\n\nevent: y\ndata: 2\n\n';
    const events = splitEvents(body);
    expect(events).toEqual(['event: x\ndata: 1\n\n', 'event: y\ndata: 2\n\n']);
    expect(events.join('')).toBe(body);
  });

  it('returns no events for an empty body', () => {
    expect(splitEvents('')).toEqual([]);
  });
});

describe('parseRecordingFile: errors', () => {
  it('reports invalid YAML with the file name and 1-based line', () => {
    const text = 'interactions:\n- request:\n    method: POST\n  - bad\n'; // error on line 4
    let error: unknown;
    try {
      parseRecordingFile(text, 'broken.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RecordingFileError);
    expect((error as Error).message).toContain('broken.yaml:4');
  });

  it('reports the line of an unclosed flow collection', () => {
    const text = 'version: 1\ninteractions: [1, 2\nfoo: bar\n';
    expect(() => parseRecordingFile(text, 'x.yaml')).toThrow(RecordingFileError);
    expect(() => parseRecordingFile(text, 'x.yaml')).toThrow(/x\.yaml:\d+/);
  });

  it('rejects a mapping without interactions', () => {
    expect(() => parseRecordingFile('version: 1\n', 'noint.yaml')).toThrow(RecordingFileError);
    expect(() => parseRecordingFile('version: 1\n', 'noint.yaml')).toThrow(/noint\.yaml/);
    expect(() => parseRecordingFile('interactions: 3\nversion: 1\n', 'noint.yaml')).toThrow(RecordingFileError);
    expect(() => parseRecordingFile('- a\n- b\n', 'list.yaml')).toThrow(RecordingFileError);
  });

  it('rejects an interaction with neither body nor body_hash, naming the uri', () => {
    const uri = `http://localhost:8000${PATH}?api-version=2024-02-01`;
    const text = PYTHON_FILE.replace(`body: '${BODY1}'`, 'body: null');
    expect(text).not.toContain(BODY1);
    expect(() => parseRecordingFile(text, FILE)).toThrow(RecordingFileError);
    expect(() => parseRecordingFile(text, FILE)).toThrow(uri);
  });
});

describe('parseRecordingFile: empty files', () => {
  it('parses an empty file to no entries', () => {
    expect(parseRecordingFile('', FILE).entries).toEqual([]);
    expect(parseRecordingFile('', FILE).interactions).toEqual([]);
    expect(parseRecordingFile('# just a comment\n\n', FILE).entries).toEqual([]);
  });
});

describe('serializeRecordingFile', () => {
  function interaction(body: string, hash: string, answer: string): RecordedInteraction {
    // Keys deliberately out of order: the output must sort them.
    return {
      response: {
        status: { code: 200 },
        headers: { 'content-type': ['application/json'] },
        duration_ms: 12,
        body: { string: answer },
      },
      request: {
        uri: `http://localhost:8000${PATH}?api-version=2024-02-01`,
        method: 'POST',
        headers: { 'content-type': ['application/json'], accept: ['application/json'] },
        body_hash: hash,
        body,
      },
      context_values: { 'Operation-Name': 'chat_completions', 'Deployment-Name': 'gpt-35-turbo' },
    } as RecordedInteraction;
  }

  const shortBody = '{"messages": [{"role": "user", "content": "short"}]}';
  const longBody = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(1100) }] });
  const exact = '{"c": "' + 'y'.repeat(1024 - 9) + '"}';
  const items = [
    interaction(shortBody, bodyHash(shortBody, 'application/json'), '{"id": "a"}'),
    interaction(longBody, bodyHash(longBody, 'application/json'), '{"id": "b"}'),
    interaction(exact, bodyHash(exact, 'application/json'), '{"id": "c"}'),
  ];
  const text = serializeRecordingFile(items);

  it('writes text that parses back to the same keys and answers', () => {
    const entries = parseRecordingFile(text, FILE).entries;
    expect(entries.map((e) => e.key)).toEqual([
      requestKey('POST', PATH, bodyHash(shortBody, 'application/json')),
      requestKey('POST', PATH, bodyHash(longBody, 'application/json')),
      requestKey('POST', PATH, bodyHash(exact, 'application/json')),
    ]);
    expect(entries.map((e) => e.body)).toEqual(['{"id": "a"}', '{"id": "b"}', '{"id": "c"}']);
    expect(entries.every((e) => e.status === 200 && e.durationMs === 12)).toBe(true);
  });

  it('sorts keys', () => {
    const at = (s: string): number => {
      const i = text.indexOf(s);
      expect(i, s).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('context_values:')).toBeLessThan(at('request:'));
    expect(at('request:')).toBeLessThan(at('response:'));
    expect(at('interactions:')).toBeLessThan(at('version:'));
    expect(at('Deployment-Name:')).toBeLessThan(at('Operation-Name:'));
    // Within the first request: body, body_hash, headers, method, uri.
    const req = text.slice(at('request:'), at('response:'));
    const order = ['body:', 'body_hash:', 'headers:', 'method:', 'uri:'].map((k) => req.indexOf(k));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(req.indexOf('accept:')).toBeLessThan(req.indexOf('content-type:'));
    // Within the response: body, duration_ms, headers, status.
    const res = text.slice(at('response:'));
    const rorder = ['body:', 'duration_ms:', 'headers:', 'status:'].map((k) => res.indexOf(k));
    expect(rorder.every((i) => i >= 0)).toBe(true);
    expect([...rorder].sort((a, b) => a - b)).toEqual(rorder);
  });

  it('writes request bodies longer than 1024 characters as null, keeping body_hash', () => {
    expect(longBody.length).toBeGreaterThan(1024);
    expect(exact.length).toBe(1024);
    expect(text).not.toContain(longBody);
    expect(text).toContain(shortBody);
    expect(text).toContain(exact); // exactly 1024 is kept
    const back = parseRecordingFile(text, FILE).interactions as RecordedInteraction[];
    expect(back[1]!.request.body).toBeNull();
    expect(back[1]!.request.body_hash).toBe(bodyHash(longBody, 'application/json'));
    expect(back[0]!.request.body).toBe(shortBody);
    expect(back[2]!.request.body).toBe(exact);
  });

  it('does not modify the interactions it is given', () => {
    expect(items[1]!.request.body).toBe(longBody);
  });

  it('writes version: 1 at the top level', () => {
    expect(text).toMatch(/^version: 1$/m);
    expect(text).toMatch(/^interactions:$/m);
  });

  it('round-trips a !!binary response body and stream offsets', () => {
    const bytes = new Uint8Array([0x00, 0xff, 0x10, 0x80]);
    const bin = interaction(shortBody, bodyHash(shortBody, 'application/json'), 'unused');
    bin.response.body = { string: bytes };
    const streamBody = 'data: 1\n\ndata: [DONE]\n\n';
    const stream = interaction(shortBody + ' ', bodyHash(shortBody + ' ', 'application/json'), streamBody);
    stream.response.stream_offsets_ms = [5, 9];
    const out = serializeRecordingFile([bin, stream]);
    expect(out).toContain('!!binary');
    const [b, s] = parseRecordingFile(out, FILE).entries;
    expect(b!.body).toBeInstanceOf(Uint8Array);
    expect(Array.from(b!.body as Uint8Array)).toEqual(Array.from(bytes));
    expect(s!.events).toEqual(['data: 1\n\n', 'data: [DONE]\n\n']);
    expect(s!.offsetsMs).toEqual([5, 9]);
  });
});
