/**
 * Issue 11, item 7: a seeded fuzz run against started simulators. A generator of hostile requests
 * — bodies (broken, deep, huge numbers, prototype keys, wrong types), headers (content types,
 * credentials, lengths), paths (encodings, dot segments, NULs, lengths), PATCHes of the runtime
 * configuration, and recording files — runs for a bounded count and time. Asserted: the process
 * stays up, every request gets a well-formed status and body (JSON that parses, the AOAI error
 * envelope on errors), and a normal request still succeeds after. The same seed makes the same
 * requests (FUZZ_SEED=n to replay a failing run).
 */
import { connect } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { azureClient } from '../helpers/clients.js';
import { splitAnswer } from '../helpers/raw-http.js';
import { startSimulator, type Simulator } from '../helpers/simulator.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const REQUESTS = 500;
const CONCURRENCY = 6;
/** The run stops early at this point (a slow machine makes fewer requests, never a timed-out test). */
const BUDGET_MS = 45_000;
const REQUEST_TIMEOUT_MS = 15_000;

type Rand = () => number;

class Fuzz {
  constructor(readonly rand: Rand) {}
  int(n: number): number {
    return Math.floor(this.rand() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.rand() < p;
  }
  string(max = 40): string {
    const alphabet = ['a', 'Z', '0', ' ', '/', '\\', '.', '%', '"', "'", '\n', '\t', '\u0000', '\u007f', 'é', '😀', '\ud800', '{', '[', '<', '&'];
    let s = '';
    for (let n = this.int(max); n > 0; n--) s += this.pick(alphabet);
    return s;
  }
  number(): unknown {
    return this.pick([0, -1, 1, 2, 16, 0.5, -0.0001, 1e308, -1e308, 2 ** 31, 2 ** 53 + 1, 1e13, 4294967296, 'NaN', '1e9', null, true, [], {}]);
  }
  key(): string {
    return this.pick(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'model', 'messages', '', 'x'.repeat(300), this.string(12)]);
  }
  value(depth = 0): unknown {
    const kind = this.int(depth > 4 ? 4 : 7);
    if (kind === 0) return this.number();
    if (kind === 1) return this.string();
    if (kind === 2) return this.pick([null, true, false]);
    if (kind === 3) return 'x'.repeat(this.int(20_000));
    if (kind === 4) return Array.from({ length: this.int(5) }, () => this.value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let n = this.int(5); n > 0; n--) o[this.key()] = this.value(depth + 1);
    return o;
  }
  /** JSON text with own `__proto__` keys (JSON.stringify of an object cannot make them). */
  json(value: unknown): string {
    const text = JSON.stringify(value) ?? 'null';
    return this.chance(0.2) ? text.replace(/^\{/, '{"__proto__":{"polluted":1},') : text;
  }
  deep(levels: number): string {
    return this.chance(0.5) ? '['.repeat(levels) + ']'.repeat(levels) : '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
  }
  messages(): unknown {
    if (this.chance(0.15)) return this.value();
    return Array.from({ length: 1 + this.int(3) }, () =>
      this.chance(0.8)
        ? { role: this.pick(['user', 'system', 'assistant', 'tool', 'developer', 'robot', 5]), content: this.chance(0.7) ? this.string(60) : this.pick([null, [{ type: 'text', text: 'x' }], [{ type: 'image_url', image_url: { url: 'x' } }], [{ type: 'nope' }], 7]) }
        : this.value(),
    );
  }
  chatBody(): Record<string, unknown> {
    const body: Record<string, unknown> = { messages: this.messages() };
    if (this.chance(0.4)) body.max_tokens = this.chance(0.7) ? this.int(200) : this.number();
    if (this.chance(0.3)) body.n = this.chance(0.7) ? 1 + this.int(4) : this.number();
    if (this.chance(0.3)) body.stream = this.chance(0.8) ? true : this.value();
    if (this.chance(0.2)) body.stream_options = this.chance(0.5) ? { include_usage: true } : this.value();
    if (this.chance(0.25)) body.tools = this.chance(0.6) ? [{ type: 'function', function: { name: this.string(10), parameters: this.value() } }] : this.value();
    if (this.chance(0.15)) body.tool_choice = this.pick(['none', 'auto', 'required', { type: 'function', function: { name: 'f' } }, 5]);
    if (this.chance(0.15)) body.response_format = this.pick([{ type: 'json_object' }, { type: 'json_schema', json_schema: { name: 's', schema: this.value(), strict: true } }, 'text', this.value()]);
    if (this.chance(0.1)) body.model = this.pick(['gpt-4o', 'gpt-9', this.string(10), 5, 'x'.repeat(500)]);
    if (this.chance(0.1)) body[this.key()] = this.value();
    return body;
  }
  body(operation: string): string {
    const form = this.int(10);
    if (form === 0) return this.string(200); // not JSON
    if (form === 1) return this.json(this.chatBody()).slice(0, this.int(60)); // truncated
    if (form === 2) return `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${this.deep(200 + this.int(30_000))}}}]}`;
    if (form === 3) return this.json(this.value());
    if (operation === 'embeddings') return this.json({ input: this.chance(0.7) ? this.pick(['x', ['a', 'b'], [1, 2, 3], [[1], [2]], '', []]) : this.value(), ...(this.chance(0.3) ? { dimensions: this.number() } : {}), ...(this.chance(0.2) ? { encoding_format: this.pick(['base64', 'float', 'x']) } : {}) });
    if (operation === 'completions') return this.json({ prompt: this.chance(0.7) ? this.string(50) : this.value(), max_tokens: this.chance(0.5) ? this.int(50) : this.number(), ...(this.chance(0.3) ? { stream: true } : {}) });
    return this.json(this.chatBody());
  }
  segment(): string {
    return this.pick([
      'gpt-4o', 'gpt-35-turbo-1k-token', 'embedding', 'whisper', 'made-up', '..', '.', '%2e%2e', '..%2F..%2Fx', '%252e%252e%252f', 'a%00b', 'a%0d%0ab',
      'a%5cb', '%zz', '%', 'x'.repeat(this.pick([10, 300, 2000])), 'caf%C3%A9', '%F0%9F%98%80', '__proto__', 'constructor', '',
    ]);
  }
  path(): { path: string; operation: string } {
    const operation = this.pick(['chat/completions', 'completions', 'embeddings', 'audio/transcriptions', 'images/generations', 'nope', 'chat/completions/x']);
    const query = this.pick(['?api-version=2024-10-21', '', '?api-version=', `?api-version=${this.string(5)}`, '?api-version=2024-10-21&api-version=x', `?${'a=b&'.repeat(200)}`]);
    const shapes = [
      () => `/openai/deployments/${this.segment()}/${operation}${query}`,
      () => `/v1/${operation}`,
      () => `/openai/v1/${operation}`,
      () => `//openai//deployments//${this.segment()}//${operation}${query}`,
      () => `/openai/responses${query}`,
      () => `/openai/models${query}`,
      () => `/${this.segment()}`,
      () => `/++/${this.pick(['config', 'stats', 'save-recordings', 'x', '..'])}`,
    ];
    return { path: this.pick(shapes)(), operation: operation.split('/')[0]! };
  }
  contentType(): string {
    return this.pick(['application/json', 'application/json', 'application/json; charset=utf-8', '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=xyz', 'application/xml', 'application/json; charset=utf-16', this.string(20).replace(/[^\x20-\x7e]/g, '')]);
  }
  patch(): string {
    // Only tiny latencies may be accepted: a valid 10-minute latency would only make the run slow.
    const latencyValue = (): unknown => (this.chance(0.5) ? this.int(2) : this.number());
    const options: (() => unknown)[] = [
      () => ({ latency: { [this.pick(['open_ai_chat_completions', 'open_ai_embeddings', '__proto__', 'constructor', 'toString', this.string(8)])]: { [this.pick(['mean', 'std_dev', 'ttft_mean', 'ttft_std_dev', '__proto__', 'x'])]: latencyValue() } } }),
      () => ({ openai_deployments: { [this.pick(['gpt-4o', 'fuzzed', '__proto__', 'constructor', 'x'.repeat(300), 'a/b', this.string(10)])]: { model: this.pick(['gpt-4o', 'whisper', 'text-embedding-3-small', 'gpt-9', 5]), [this.pick(['tokens_per_minute', 'requests_per_minute', 'embedding_size', '__proto__', 'bogus'])]: this.number() } } }),
      () => ({ simulator_mode: this.pick(['generate', 'record', 5]) }),
      () => ({ allow_undefined_openai_deployments: this.pick([true, false, 'yes', 1]) }),
      () => this.value(),
    ];
    if (this.chance(0.1)) return `{"latency":${this.deep(100_000)}}`;
    if (this.chance(0.1)) return this.string(100);
    return this.json(this.pick(options)());
  }
}

interface Outcome {
  readonly label: string;
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** What every answer must be: a status, a body that is what its type says, errors in the envelope. */
function checkWellFormed(o: Outcome): void {
  expect(o.status, o.label).toBeGreaterThanOrEqual(200);
  expect(o.status, o.label).toBeLessThan(600);
  expect(o.body.length, `${o.label}: empty body`).toBeGreaterThan(0);
  expect(o.body, o.label).not.toMatch(/Maximum call stack|\n\s+at .*\(.*:\d+:\d+\)/);
  if (o.contentType.includes('json')) {
    let parsed: unknown;
    expect(() => (parsed = JSON.parse(o.body)), `${o.label}: JSON body`).not.toThrow();
    if (o.status >= 400) expect(typeof (parsed as { error?: { message?: unknown } }).error?.message, `${o.label}: error envelope`).toBe('string');
  } else if (o.contentType.includes('event-stream') && o.status === 200) {
    expect(o.body, `${o.label}: stream`).toMatch(/^data: /);
  }
}

async function send(sim: Simulator, f: Fuzz, i: number): Promise<Outcome> {
  const choice = f.int(10);
  const headers: Record<string, string> = {};
  const auth = f.int(10);
  if (auth < 7) headers['api-key'] = sim.apiKey;
  else if (auth === 7) headers.authorization = `Bearer ${f.pick([sim.apiKey, 'x', 'a.b.c', '', 'eyJhbGciOiJub25lIn0.eyJhdWQiOiJ4In0.'])}`;
  else if (auth === 8) headers['api-key'] = f.pick(['', 'x'.repeat(5000), 'wrong']);
  if (choice === 0) {
    const body = f.patch();
    const res = await fetch(`${sim.url}/++/config`, { method: 'PATCH', headers: { ...headers, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { label: `#${i} PATCH ${body.slice(0, 120)}`, status: res.status, contentType: res.headers.get('content-type') ?? '', body: await res.text() };
  }
  const { path, operation } = f.path();
  if (choice === 1) return raw(sim, f, i, path, headers);
  const method = f.chance(0.85) ? 'POST' : f.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
  const body = method === 'GET' || method === 'HEAD' ? undefined : f.body(operation);
  const contentType = f.contentType();
  if (contentType) headers['content-type'] = contentType;
  if (f.chance(0.1)) headers[f.pick(['x-ms-client-request-id', 'x-sim-fault', 'accept', 'openai-beta'])] = f.string(30).replace(/[^\x20-\x7e]/g, '');
  const label = `#${i} ${method} ${path.slice(0, 120)} ${body?.slice(0, 120) ?? ''}`;
  // fetch refuses some URLs (a path it cannot parse): those go over the raw socket instead.
  let url: string;
  try {
    const parsed = new URL(sim.url + path);
    // `//openai//…` must stay a path, and fetch would normalise dot segments away: raw socket.
    if (parsed.host !== new URL(sim.url).host || parsed.pathname !== path.split('?')[0]) return raw(sim, f, i, path, headers);
    url = parsed.href;
  } catch {
    return raw(sim, f, i, path, headers);
  }
  const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  if (method === 'HEAD') return { label, status: res.status, contentType: 'text/plain', body: 'head' };
  return { label, status: res.status, contentType: res.headers.get('content-type') ?? '', body: text };
}

/** A request written byte for byte on a socket: paths and header values fetch would refuse or rewrite. */
function raw(sim: Simulator, f: Fuzz, i: number, path: string, headers: Record<string, string>): Promise<Outcome> {
  const { port } = new URL(sim.url);
  const body = f.body('chat');
  // A body shorter than declared would only wait for the rest: declared lengths are exact or 0.
  const declared = f.pick([Buffer.byteLength(body), Buffer.byteLength(body), 0]);
  const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: close', `content-length: ${declared}`, 'content-type: application/json'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (f.chance(0.3)) lines.push(`x-weird: ${f.pick(['\u00e9\u00e9', 'a'.repeat(3000), '', ' \t '])}`);
  // (Bytes beyond the declared length would be a second, garbage request: uWS drops the connection.)
  const request = Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), declared === 0 ? Buffer.alloc(0) : Buffer.from(body)]);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`#${i} raw ${path}: no answer in time`)), REQUEST_TIMEOUT_MS);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      // uWS answers streams chunked: the body is the chunks' payloads.
      const { head, body: payload } = splitAnswer(Buffer.concat(chunks).toString('utf8'));
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /\r\ncontent-type: ([^\r\n]*)/i.exec(head)?.[1] ?? '';
      resolve({ label: `#${i} raw POST ${path.slice(0, 120)} (declared ${declared})`, status, contentType, body: payload });
    });
    // Not end(): uWebSockets.js closes a half-closed socket without answering.
    socket.write(request);
  });
}

async function runFuzz(sim: Simulator, seed: number, count: number, statuses = new Map<number, number>()): Promise<number> {
  const f = new Fuzz(seededRandom(seed));
  // The requests are drawn up front, in order, so the same seed makes the same requests whatever
  // the timing; then they run CONCURRENCY at a time.
  const jobs = Array.from({ length: count }, (_, i) => {
    const own = new Fuzz(seededRandom(Math.floor(f.rand() * 2 ** 32)));
    return () => send(sim, own, i);
  });
  const started = performance.now();
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && performance.now() - started < BUDGET_MS) {
      const outcome = await jobs[next++]!();
      checkWellFormed(outcome);
      statuses.set(outcome.status, (statuses.get(outcome.status) ?? 0) + 1);
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return done;
}

async function stillServes(sim: Simulator): Promise<void> {
  expect(sim.process.exitCode).toBeNull();
  // The fuzz may have switched undefined deployments off or limited gpt-4o: set a known state.
  expect((await fetch(`${sim.url}/++/config`, { method: 'PATCH', headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' }, body: JSON.stringify({ allow_undefined_openai_deployments: true, latency: { open_ai_chat_completions: { mean: 0, std_dev: 0, ttft_mean: 0, ttft_std_dev: 0 } }, openai_deployments: { 'after-fuzz': { model: 'gpt-4o', tokens_per_minute: 0 } } }) })).status).toBe(200);
  const ok = await azureClient(sim).chat.completions.create({ model: 'after-fuzz', messages: [{ role: 'user', content: 'still there?' }], max_tokens: 3 });
  expect(ok.usage!.completion_tokens).toBeGreaterThan(0);
}

describe(`fuzz (seed ${SEED})`, () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ SIMULATOR_POOL_MIN_BODY_BYTES: '2048', SIMULATOR_MAX_BODY_BYTES: String(1024 * 1024) });
  });
  afterAll(async () => {
    expect(await sim.stop()).toBe(0);
  });

  it('hostile bodies, headers, paths and PATCHes: every answer well-formed, the process up, a normal request succeeds after', async () => {
    const statuses = new Map<number, number>();
    const done = await runFuzz(sim, SEED, REQUESTS, statuses);
    expect(done).toBeGreaterThan(50);
    // The run reaches the generators, not only the front door: answers, 400s, 404s and 401s.
    for (const status of [200, 400, 401, 404]) expect(statuses.get(status) ?? 0, `${status} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);
    await stillServes(sim);
    expect(sim.stderr()).not.toMatch(/exited \(code|uncaught|Maximum call stack/i);
  }, BUDGET_MS + 60_000);
});

describe(`fuzzed recording files (seed ${SEED})`, () => {
  const GOOD = `interactions:
- context_values: {}
  request:
    body: '{"messages":[{"role":"user","content":"x"}]}'
    headers: {content-type: [application/json]}
    method: POST
    uri: https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21
  response:
    body:
      string: '{"ok":true}'
    duration_ms: 1
    headers: {content-type: [application/json]}
    status:
      code: 200
version: 1
`;

  function mutate(f: Fuzz): string {
    const kind = f.int(9);
    if (kind === 0) return GOOD.slice(0, f.int(GOOD.length)); // truncated
    if (kind === 1) return Buffer.from(Array.from({ length: 200 }, () => f.int(256))).toString('latin1'); // bytes
    if (kind === 2) return `x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n` + GOOD; // deep flow nesting
    if (kind === 3) {
      let bomb = 'a0: &a0 ["' + 'x'.repeat(50) + '"]\n';
      for (let i = 1; i < 9; i++) bomb += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(',')}]\n`;
      return bomb + GOOD.replace(`string: '{"ok":true}'`, f.pick(['string: *a8', 'string: *a3']));
    }
    if (kind === 4) return GOOD.replace('code: 200', `code: ${f.pick(['-1', '99999', 'x', '1e308', '[]', '!!binary AAAA'])}`);
    if (kind === 5) return GOOD.replace('duration_ms: 1', `duration_ms: ${f.pick(['1e308', '-5', '.nan', '[1]', '{}'])}`);
    if (kind === 6) return GOOD.replace("string: '{\"ok\":true}'", `string: !!binary ${f.pick(['AAAA', '%%%', ''])}`);
    if (kind === 7) return GOOD.replace('headers: {content-type: [application/json]}\n    status', `headers: ${f.pick(['[1,2]', '{x: {y: z}}', '"str"', '{__proto__: [1]}', '{content-length: [5]}'])}\n    status`);
    return GOOD.replace('interactions:', f.pick(['interactions: !!js/function "x"', 'interactions: &x', 'interactions: *nope', '? [a]\n: b\ninteractions:']));
  }

  it('each folder either starts (and answers well-formed) or stops with one line naming the file', async () => {
    const f = new Fuzz(seededRandom(SEED ^ 0x5eed));
    let started = 0;
    let refused = 0;
    for (let round = 0; round < 6; round++) {
      const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-fuzzrec-'));
      const file = join(dir, `fuzz-${round}.yaml`);
      writeFileSync(file, mutate(f), 'latin1');
      writeFileSync(join(dir, 'good.yaml'), GOOD);
      let sim: Simulator | undefined;
      try {
        sim = await startSimulator({ SIMULATOR_MODE: 'replay', RECORDING_DIR: dir });
      } catch (err) {
        const message = (err as Error).message;
        const stderr = message.slice(message.indexOf('\n') + 1).trim().split('\n').filter((l) => l.startsWith('aoai-simulated-api:'));
        expect(stderr, message).toHaveLength(1);
        expect(stderr[0], message).toContain(file);
        expect(message).not.toMatch(/\n\s+at /);
        refused++;
        continue;
      }
      try {
        const replayed = await fetch(`${sim.url}/openai/deployments/d/chat/completions?api-version=2024-10-21`, {
          method: 'POST',
          headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
          body: '{"messages":[{"role":"user","content":"x"}]}',
        });
        checkWellFormed({ label: `replay of ${file}`, status: replayed.status, contentType: replayed.headers.get('content-type') ?? '', body: (await replayed.text()) || '(empty)' });
        await runFuzz(sim, SEED + round, 25);
        expect(sim.process.exitCode).toBeNull();
        started++;
      } finally {
        await sim.stop();
      }
    }
    expect(started + refused).toBe(6);
  }, 120_000);
});
