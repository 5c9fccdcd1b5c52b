/**
 * Many concurrent latency-paced streams against a simulator, and how late their token events
 * were. Each stream is a streaming chat request of `TOKENS` tokens at `PER_TOKEN_MS` a token.
 *
 * Two views of the same thing:
 * - **server**: the scheduler's own lateness (when the write ran minus when it was due), from
 *   `GET /++/stats` over the same streams: the simulator's scheduling error;
 * - **client**: token arrival minus the intended time after the stream's head, measured on raw
 *   sockets by a client light enough to measure the server rather than itself: no HTTP parser and
 *   no strings — every socket reads into one shared buffer (`onread`), and a read is only scanned
 *   (natively) for the blank line ending each event, then timestamped once. (Node's HTTP client
 *   parsing 50,000 events a second took most of the CPU; the string-scanning raw client before
 *   this one cost ~15 µs of CPU per event, as much as the server's own write.) It includes the
 *   client's own lag, so it bounds the error from above.
 *
 * Two load shapes:
 * - **steady**: N streams always open, their starts spread evenly over one stream's length and
 *   each replaced as it ends (a service under constant load: token events are spread in time);
 * - **burst**: N streams started together, so every stream's events fall due in the same
 *   millisecond (the worst case: the last write of each tick waits for all the others).
 */
import net from 'node:net';
import { readStats, type Percentiles } from './simulator-stats.js';

export const PER_TOKEN_MS = 20;
export const TOKENS = 20;
const STREAM_MS = PER_TOKEN_MS * TOKENS;
/** The settings a simulator needs for these streams: the latency model on, answers of exactly TOKENS. */
export const PACED_STREAM_SETTINGS: Readonly<Record<string, string>> = {
  SIMULATOR_ANSWER_LENGTH: 'fill',
  LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: String(PER_TOKEN_MS),
  LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0',
};
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: TOKENS, stream: true });
/** Events of a stream before its first token: the prompt-filter event and the role event. */
const HEAD_EVENTS = 2;
/** Every socket reads into this one buffer: a read is scanned at once, so nothing is kept. */
const READ_BUFFER = Buffer.alloc(64 * 1024);
const NL = 0x0a;

export type StreamShape = 'steady' | 'burst';

export interface PacedStreamsResult {
  readonly streams: number;
  readonly shape: StreamShape;
  readonly tokenEvents: number;
  /** Token arrival minus intended time at the client, sorted (ms). */
  readonly clientLagsMs: readonly number[];
  /** The simulator's scheduler lateness over the same streams. */
  readonly server: Percentiles;
  /** The simulator's own time per stream (arrival to the first event ready). */
  readonly overhead: Percentiles;
  /** From the first request sent to the last stream's end. */
  readonly seconds: number;
  readonly failed: number;
}

interface Totals {
  readonly lags: number[];
  failed: number;
}

/**
 * One keep-alive connection running streams back to back while `more()` says so: for each, the
 * lag of every token event after the head. An event ends with a blank line (`\n\n`, which neither
 * the HTTP head nor the chunk framing contains), so counting them is all the parsing needed; a
 * response is over with the last chunk after its last event (`[DONE]`): three line ends more
 * (`\r\n0\r\n\r\n`).
 */
function connection(port: number, request: Buffer, more: () => boolean, totals: Totals): Promise<void> {
  const events = HEAD_EVENTS + TOKENS + 2;
  return new Promise((resolve) => {
    let start = -1;
    let seen = 0;
    let trailing = 0;
    let last = 0; // the byte before this read (an event's blank line may straddle two reads)
    const next = (): void => {
      if (!more()) {
        socket.end();
        return resolve();
      }
      start = -1;
      seen = 0;
      trailing = 0;
      last = 0;
      socket.write(request);
    };
    // A byte loop over the `n` bytes read (the shared buffer holds older reads after them).
    const read = (n: number, buf: Buffer): boolean => {
      const now = performance.now();
      if (start < 0) start = now; // the head and the first events come together
      let prev = last;
      for (let i = 0; i < n; i++) {
        const byte = buf[i]!;
        if (seen >= events) {
          if (byte === NL && ++trailing === 3) return (next(), true);
        } else if (byte === NL && prev === NL) {
          const token = ++seen - HEAD_EVENTS;
          if (token >= 1 && token <= TOKENS) totals.lags.push(now - start - PER_TOKEN_MS * token);
          prev = 0;
        } else prev = byte;
      }
      last = prev;
      return true;
    };
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true, onread: { buffer: READ_BUFFER, callback: read } });
    socket.on('error', () => {
      totals.failed++;
      resolve();
    });
    socket.on('connect', next);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every connection sends one request at once. */
async function burst(port: number, request: Buffer, n: number, totals: Totals): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => {
    let sent = false;
    return connection(port, request, () => !sent && (sent = true), totals);
  }));
}

/** Starts spread over one stream's length; each connection keeps one stream open until `seconds` pass. */
async function steady(port: number, request: Buffer, n: number, totals: Totals, seconds: number): Promise<void> {
  const end = performance.now() + seconds * 1000;
  const running: Promise<void>[] = [];
  const perMs = Math.max(1, Math.round(n / STREAM_MS));
  for (let i = 0; i < n; i++) {
    running.push(connection(port, request, () => performance.now() < end, totals));
    if ((i + 1) % perMs === 0) await sleep(1);
  }
  await Promise.all(running);
}

export const quantile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

/**
 * `n` concurrent streams of the given shape (after a warm-up of up to 200), on a simulator
 * started with PACED_STREAM_SETTINGS. `seconds`: how long a steady load lasts.
 */
export async function pacedStreams(port: number, apiKey: string, n: number, shape: StreamShape = 'steady', seconds = 3): Promise<PacedStreamsResult> {
  const request = Buffer.from(
    `POST /openai/deployments/gpt-4o/chat/completions HTTP/1.1\r\nhost: localhost\r\napi-key: ${apiKey}\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(BODY)}\r\n\r\n${BODY}`,
  );
  await burst(port, request, Math.min(n, 200), { lags: [], failed: 0 }); // warm-up
  await readStats(port, apiKey, true);
  const totals: Totals = { lags: [], failed: 0 };
  const t0 = performance.now();
  if (shape === 'steady') await steady(port, request, n, totals, seconds);
  else await burst(port, request, n, totals);
  const elapsed = (performance.now() - t0) / 1000;
  const stats = await readStats(port, apiKey, true);
  const lags = totals.lags.sort((a, b) => a - b);
  return { streams: n, shape, tokenEvents: lags.length, clientLagsMs: lags, server: stats.scheduler_lateness_ms, overhead: stats.overhead_ms, seconds: elapsed, failed: totals.failed };
}
