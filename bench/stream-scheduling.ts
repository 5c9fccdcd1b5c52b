/**
 * Scheduling accuracy of latency-paced streams under load: N concurrent streaming chat requests
 * (20 tokens at 20 ms a token, so 400 ms each) and how late each token event left against the
 * time the latency model intended.
 *
 * Two views of the same thing:
 * - **server**: the scheduler's own lateness (when the write ran minus when it was due), from
 *   `GET /++/stats`; this is the simulator's scheduling error.
 * - **client**: token arrival minus the intended time after the stream's first event, measured on
 *   raw sockets (no HTTP parser: the client must cost the shared cores as little as possible). It
 *   includes the client's own lag, so it bounds the error from above.
 *
 * Two load shapes:
 * - **steady**: N streams always open, their starts spread evenly over one stream's length and
 *   each replaced as it ends (a service under constant load: token events are spread in time);
 * - **burst**: N streams started together, so every stream's events fall due in the same
 *   millisecond (the worst case: the last write of each tick waits for all the others).
 *
 *   node dist/bench/stream-scheduling.js [--streams 1000,5000] [--shape steady,burst] [--seconds 5]
 */
import net from 'node:net';
import { parseArgs } from 'node:util';
import { startSimulator } from './processes.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000,5000' },
    shape: { type: 'string', default: 'steady,burst' },
    seconds: { type: 'string', default: '5' },
  },
});
const PER_TOKEN_MS = 20;
const TOKENS = 20;
const STREAM_MS = PER_TOKEN_MS * TOKENS;
const API_KEY = 'k';
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: TOKENS, stream: true });
const REQUEST =
  `POST /openai/deployments/gpt-4o/chat/completions HTTP/1.1\r\nhost: localhost\r\napi-key: ${API_KEY}\r\n` +
  `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`;
const TOKEN_EVENT = '"delta":{"content":"';
/** The last chunk of a chunked response. */
const END = '\r\n0\r\n\r\n';

interface Totals {
  readonly lags: number[];
  errors: number;
}

/**
 * One keep-alive connection running streams back to back until `until`: for each, the lag of
 * every token event after the first event. uWS writes one chunk per write, so a token event is
 * found by its text in the raw bytes.
 */
function connection(port: number, until: () => boolean, totals: Totals): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    let text = '';
    let scanned = 0;
    let start = -1;
    let token = 0;
    const next = (): void => {
      if (until()) {
        socket.end();
        return resolve();
      }
      text = '';
      scanned = 0;
      start = -1;
      token = 0;
      socket.write(REQUEST);
    };
    socket.on('data', (chunk: string) => {
      const now = performance.now();
      text += chunk;
      if (start < 0 && text.includes('\r\n\r\n')) start = now; // headers and the first event
      for (let at = text.indexOf(TOKEN_EVENT, scanned); at !== -1; at = text.indexOf(TOKEN_EVENT, scanned)) {
        scanned = at + TOKEN_EVENT.length;
        totals.lags.push(now - start - PER_TOKEN_MS * ++token);
      }
      if (text.endsWith(END)) next();
    });
    socket.on('error', () => {
      totals.errors++;
      resolve();
    });
    socket.on('connect', next);
  });
}

const quantile = (xs: readonly number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? NaN;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const sim = await startSimulator({
  SIMULATOR_API_KEY: API_KEY,
  SIMULATOR_ANSWER_LENGTH: 'fill',
  LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: String(PER_TOKEN_MS),
  LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0',
});
const stats = async (reset: boolean): Promise<{ count: number; p50: number; p99: number; max: number }> => {
  const res = await fetch(`http://127.0.0.1:${sim.port}/++/stats${reset ? '?reset=true' : ''}`, { headers: { 'api-key': API_KEY } });
  return ((await res.json()) as { scheduler_lateness_ms: { count: number; p50: number; p99: number; max: number } }).scheduler_lateness_ms;
};

/** Steady: starts spread over one stream's length, each connection keeps one stream open. */
async function steady(n: number, seconds: number, totals: Totals): Promise<void> {
  const end = performance.now() + seconds * 1000;
  const running: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    running.push(connection(sim.port, () => performance.now() >= end, totals));
    if ((i + 1) % Math.max(1, Math.round(n / STREAM_MS)) === 0) await sleep(1);
  }
  await Promise.all(running);
}

/** Burst: every connection sends its one request at once. */
async function burst(n: number, _seconds: number, totals: Totals): Promise<void> {
  let sent = 0;
  await Promise.all(Array.from({ length: n }, () => connection(sim.port, () => sent++ >= n, totals)));
}

const SHAPES = { steady, burst } as const;

console.log(`Paced streams: ${TOKENS} tokens at ${PER_TOKEN_MS} ms each. Lateness in ms: server = scheduler (write ran − due), client = token arrival − intended.`);
console.log('| shape | concurrent streams | token events | server p50 | server p99 | server max | client p50 | client p99 | failed |');
console.log('|---|---|---|---|---|---|---|---|---|');
try {
  for (const shape of values.shape.split(',') as (keyof typeof SHAPES)[]) {
    for (const n of values.streams.split(',').map(Number)) {
      await burst(Math.min(n, 200), 0, { lags: [], errors: 0 }); // warm-up
      await stats(true);
      const totals: Totals = { lags: [], errors: 0 };
      await SHAPES[shape](n, Number(values.seconds), totals);
      const server = await stats(true);
      const lags = totals.lags.sort((a, b) => a - b);
      const f = (x: number): string => x.toFixed(2);
      console.log(
        `| ${shape} | ${n} | ${server.count} | ${f(server.p50)} | ${f(server.p99)} | ${f(server.max)} | ${f(quantile(lags, 0.5))} | ${f(quantile(lags, 0.99))} | ${totals.errors} |`,
      );
    }
  }
} finally {
  await sim.stop();
}
