import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { bodyHash, requestKey, recordingFileName } from '../../src/core/recording/recording-key.js';

/** Independent md5: a string is hashed as its UTF-8 bytes, bytes as they are. */
const md5 = (data: string | Uint8Array): string =>
  typeof data === 'string' ? createHash('md5').update(Buffer.from(data, 'utf8')).digest('hex') : createHash('md5').update(data).digest('hex');

const FIXED = 'AOAI-API-SIMULATOR-BOUNDARY'; // "--" + FIXED is what the boundary marker becomes

/** A multipart body with the given boundary (Python's test_hashing shape: CRLF line ends). */
function multipartText(boundary: string, content = 'hello world'): string {
  return [
    `--${boundary}`,
    'Content-Disposition: form-data; name="model"',
    '',
    'whisper-1',
    `--${boundary}`,
    'Content-Disposition: form-data; name="file"; filename="a.txt"',
    'Content-Type: text/plain',
    '',
    content,
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/** The same shape with a binary file part (raw bytes, not valid UTF-8). */
function multipartBytes(boundary: string, payload: Uint8Array): Uint8Array {
  const head = Buffer.from(
    [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="a.wav"', 'Content-Type: audio/wav', '', ''].join('\r\n'),
    'utf8',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
  return new Uint8Array(Buffer.concat([head, Buffer.from(payload), tail]));
}

describe('bodyHash', () => {
  it('hashes a JSON body as the md5 hex of its UTF-8 bytes', () => {
    const body = '{"messages": [{"role": "user", "content": "héllo ✓ 😀"}], "max_tokens": 10}';
    const expected = md5(Buffer.from(body, 'utf8'));
    expect(bodyHash(body, 'application/json')).toBe(expected);
    expect(bodyHash(body, 'application/json')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives the same hash for the string and the Uint8Array form of a body', () => {
    const body = '{"input": "ünïcödé text", "n": 1}';
    const bytes = new Uint8Array(Buffer.from(body, 'utf8'));
    expect(bodyHash(bytes, 'application/json')).toBe(bodyHash(body, 'application/json'));
    expect(bodyHash(bytes, 'application/json')).toBe(md5(bytes));
  });

  it('does not canonicalise JSON (whitespace changes the hash)', () => {
    expect(bodyHash('{"a": 1}', 'application/json')).not.toBe(bodyHash('{"a":1}', 'application/json'));
  });

  it('does not normalise boundaries when the content type is not multipart', () => {
    const body = multipartText('abc123');
    expect(bodyHash(body, 'text/plain; boundary=abc123')).toBe(md5(body));
  });

  describe('multipart/form-data', () => {
    it('hashes two bodies that differ only by the random boundary equally (test_hashing)', () => {
      const b1 = 'a1b2c3d4e5f6a7b8c9d0';
      const b2 = '0f9e8d7c6b5a4f3e2d1c';
      const h1 = bodyHash(multipartText(b1), `multipart/form-data; boundary=${b1}`);
      const h2 = bodyHash(multipartText(b2), `multipart/form-data; boundary=${b2}`);
      expect(h1).toBe(h2);
      // ...and the raw bodies really differ, so this is the normalisation at work.
      expect(md5(multipartText(b1))).not.toBe(md5(multipartText(b2)));
    });

    it('hashes bodies whose content differs differently', () => {
      const b = 'boundary42';
      const ct = `multipart/form-data; boundary=${b}`;
      expect(bodyHash(multipartText(b, 'hello world'), ct)).not.toBe(bodyHash(multipartText(b, 'hello there'), ct));
    });

    it('equals the md5 of the body with the boundary replaced by --AOAI-API-SIMULATOR-BOUNDARY', () => {
      const b = 'xyzBOUNDARY987';
      const expected = md5(multipartText(FIXED));
      expect(multipartText(FIXED).startsWith('--AOAI-API-SIMULATOR-BOUNDARY\r\n')).toBe(true);
      expect(bodyHash(multipartText(b), `multipart/form-data; boundary=${b}`)).toBe(expected);
    });

    it('replaces the boundary only at the start and after a newline', () => {
      const b = 'bnd';
      // "--bnd" in the middle of a line is content, not a delimiter.
      const body = `--${b}\r\nContent-Disposition: form-data; name="x"\r\n\r\nvalue --${b} inline\r\n--${b}--\r\n`;
      const expected = md5(`--${FIXED}\r\nContent-Disposition: form-data; name="x"\r\n\r\nvalue --${b} inline\r\n--${FIXED}--\r\n`);
      expect(bodyHash(body, `multipart/form-data; boundary=${b}`)).toBe(expected);
    });

    it('keeps binary (non-UTF-8) bytes of a part: different payloads hash differently', () => {
      const b = 'binbound';
      const ct = `multipart/form-data; boundary=${b}`;
      // Both are invalid UTF-8: decoding them as text would turn each into U+FFFD and collide.
      const p1 = new Uint8Array([0xff, 0x00, 0x80, 0xfe]);
      const p2 = new Uint8Array([0xfe, 0x00, 0x80, 0xff]);
      expect(bodyHash(multipartBytes(b, p1), ct)).not.toBe(bodyHash(multipartBytes(b, p2), ct));
      // And the hash is of the exact bytes, boundary normalised.
      expect(bodyHash(multipartBytes(b, p1), ct)).toBe(md5(multipartBytes(FIXED, p1)));
      expect(bodyHash(multipartBytes(b, p2), ct)).toBe(md5(multipartBytes(FIXED, p2)));
    });

    it('hashes the same binary payload with different boundaries equally', () => {
      const payload = new Uint8Array([0x52, 0x49, 0x46, 0x46, 0xff, 0xd8, 0xc3, 0x28, 0xa0, 0xa1, 0x00, 0x0a, 0x2d, 0x2d]);
      const h1 = bodyHash(multipartBytes('first-boundary', payload), 'multipart/form-data; boundary=first-boundary');
      const h2 = bodyHash(multipartBytes('second', payload), 'multipart/form-data; boundary=second');
      expect(h1).toBe(h2);
      expect(h1).toBe(md5(multipartBytes(FIXED, payload)));
    });

    it('accepts a quoted boundary in the content type', () => {
      const expected = md5(multipartText(FIXED));
      expect(bodyHash(multipartText('abc'), 'multipart/form-data; boundary="abc"')).toBe(expected);
      expect(bodyHash(multipartText('abc'), 'multipart/form-data; boundary=abc')).toBe(expected);
    });

    it('finds the boundary when other parameters follow it', () => {
      const expected = md5(multipartText(FIXED));
      expect(bodyHash(multipartText('abc'), 'multipart/form-data; boundary=abc; charset=utf-8')).toBe(expected);
    });
  });
});

describe('requestKey', () => {
  it('is the md5 of METHOD|path|bodyHash', () => {
    const path = '/openai/deployments/gpt-35-turbo/chat/completions';
    const hash = md5('{"messages": []}');
    expect(requestKey('POST', path, hash)).toBe(md5(`POST|${path}|${hash}`));
  });

  it('upper-cases the method', () => {
    const path = '/openai/deployments/x/embeddings';
    const hash = 'd41d8cd98f00b204e9800998ecf8427e';
    expect(requestKey('post', path, hash)).toBe(md5(`POST|${path}|${hash}`));
    expect(requestKey('post', path, hash)).toBe(requestKey('POST', path, hash));
  });

  it('depends on method, path and body hash', () => {
    const path = '/openai/deployments/x/completions';
    const hash = md5('a');
    const base = requestKey('POST', path, hash);
    expect(requestKey('GET', path, hash)).not.toBe(base);
    expect(requestKey('POST', '/openai/deployments/y/completions', hash)).not.toBe(base);
    expect(requestKey('POST', path, md5('b'))).not.toBe(base);
  });
});

describe('recordingFileName', () => {
  it('maps a path to its file name (python-compatibility.md §4.3 example)', () => {
    expect(recordingFileName('/openai/deployments/gpt-35-turbo/chat/completions')).toBe('openai_deployments_gpt-35-turbo_chat_completions.yaml');
  });

  it('strips leading and trailing slashes', () => {
    expect(recordingFileName('/openai/deployments/gpt-35-turbo/chat/completions/')).toBe('openai_deployments_gpt-35-turbo_chat_completions.yaml');
    expect(recordingFileName('//openai/embeddings//')).toBe('openai_embeddings.yaml');
    expect(recordingFileName('openai/embeddings')).toBe('openai_embeddings.yaml');
  });
});

describe('matching that ignores volatile fields (RECORDING_IGNORE_BODY_FIELDS)', () => {
  const a = JSON.stringify({ model: 'gpt-4o', user: 'alice', messages: [{ role: 'tool', tool_call_id: 'call_1', content: 'x' }], metadata: { run: 1 } });
  const b = JSON.stringify({ metadata: { run: 2 }, messages: [{ content: 'x', tool_call_id: 'call_2', role: 'tool' }], user: 'bob', model: 'gpt-4o' });

  it('off (the default): the exact body, as the Python simulator hashes it', async () => {
    const { useBodyMatching } = await import('../../src/core/recording/recording-key.js');
    useBodyMatching([]);
    expect(bodyHash(a, 'application/json')).toBe(md5(a));
    expect(bodyHash(a, 'application/json')).not.toBe(bodyHash(b, 'application/json'));
  });

  it('on: the named fields (at any depth) and key order do not change the hash; other fields do', async () => {
    const { useBodyMatching } = await import('../../src/core/recording/recording-key.js');
    useBodyMatching(['user', 'metadata', 'tool_call_id']);
    try {
      expect(bodyHash(a, 'application/json')).toBe(bodyHash(b, 'application/json'));
      expect(bodyHash(a, 'application/json')).not.toBe(bodyHash(a.replace('"x"', '"y"'), 'application/json'));
      expect(bodyHash('not json', 'text/plain')).toBe(md5('not json'));
    } finally {
      useBodyMatching([]);
    }
  });
});

describe('recordingFileName bounds', async () => {
  const { recordingFileName, MAX_RECORDING_FILE_NAME } = await import('../../src/core/recording/recording-key.js');
  it('keeps the Python layout when it fits', () => {
    expect(recordingFileName('/openai/deployments/gpt-35-turbo/chat/completions')).toBe('openai_deployments_gpt-35-turbo_chat_completions.yaml');
  });

  it('a 300-character deployment name gives a bounded, readable name with a hash, one per path', () => {
    const long = (c: string): string => `/openai/deployments/${c.repeat(300)}/chat/completions`;
    const a = recordingFileName(long('a'));
    const b = recordingFileName(long('a') + 'x');
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(MAX_RECORDING_FILE_NAME);
    expect(a).toMatch(/^openai_deployments_a{100,}-[0-9a-f]{16}\.yaml$/);
    expect(b).not.toBe(a);
    expect(recordingFileName(long('a'))).toBe(a);
  });

  it('multi-byte names are cut at a character boundary', () => {
    const name = recordingFileName(`/openai/deployments/${'é'.repeat(300)}/chat/completions`);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(MAX_RECORDING_FILE_NAME);
    expect(name).not.toContain('\uFFFD');
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name);
  });
});
