/**
 * Many concurrent latency-paced streams against a server, and how late their token events were.
 * Each stream is a streaming chat request of `TOKENS` tokens at `PER_TOKEN_MS` a token.
 *
 * Two views of the same thing:
 * - **server**: the scheduler's own lateness (when the write ran minus when it was due), from
 *   `GET /++/stats` over the same streams: the server's scheduling error;
 * - **client**: token arrival minus the intended time after the stream's head. It includes the
 *   client's own lag, so it bounds the error from above.
 *
 * The client is `paced-client.c`, compiled here on first use: at 1,000 streams and more it shares
 * the cores with the server, and in Node it cost ~12 µs of CPU per event (6.5 of them in
 * JavaScript: the socket's read callback and its scan), more than the bare server's write; the C
 * loop costs ~5.5, nearly all of it the kernel's receive. Each run reports both processes' CPU per
 * token event (from /proc and getrusage), which is what decides how many streams 2 cores can hold.
 *
 * Two load shapes:
 * - **steady**: N streams always open, their starts spread evenly over one stream's length and
 *   each replaced as it ends (a service under constant load: token events are spread in time);
 * - **burst**: N streams started together, so every stream's events fall due in the same
 *   millisecond (the worst case: the last write of each tick waits for all the others).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readStats, type Percentiles } from './simulator-stats.js';

export const PER_TOKEN_MS = 20;
export const TOKENS = 20;
/** The settings a simulator needs for these streams: the latency model on, answers of exactly TOKENS. */
export const PACED_STREAM_SETTINGS: Readonly<Record<string, string>> = {
  SIMULATOR_ANSWER_LENGTH: 'fill',
  LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: String(PER_TOKEN_MS),
  LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0',
};
export const PACED_STREAM_PATH = '/openai/deployments/gpt-4o/chat/completions';
export const PACED_STREAM_BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: TOKENS, stream: true });
/** Events of a stream before its first token: the prompt-filter event and the role event. */
export const HEAD_EVENTS = 2;
/** How many streams warm a server up before a measured run (JIT, pools, buffers). */
const WARM_UP_STREAMS = 200;

export type StreamShape = 'steady' | 'burst';

export interface PacedStreamsResult {
  readonly streams: number;
  readonly shape: StreamShape;
  readonly tokenEvents: number;
  /** Token arrival minus intended time at the client (ms). */
  readonly client: { readonly p50: number; readonly p99: number; readonly p999: number; readonly max: number };
  /** The server's scheduler lateness over the same streams. */
  readonly server: Percentiles;
  /** The server's own time per stream (arrival to the first event ready); zeros for the bare server. */
  readonly overhead: Percentiles;
  /** CPU per token event (µs, user + system): the server process (every thread) and the client. */
  readonly cpuMicrosPerEvent: { readonly server: number; readonly client: number };
  /** From the first request sent to the last stream's end. */
  readonly seconds: number;
  readonly failed: number;
}

/** A server to measure: its port and pid (for its CPU time in /proc). */
export interface PacedServer {
  readonly port: number;
  readonly pid: number;
}

const SOURCE = fileURLToPath(new URL('../../bench/paced-client.c', import.meta.url));
const BINARY = fileURLToPath(new URL('./paced-client', import.meta.url));

let built = false;
/** The C client, compiled with `cc` (or $CC) when missing or older than its source (checked once a run). */
export function pacedClientBinary(): string {
  if (built) return BINARY;
  if (!existsSync(BINARY) || statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs) {
    try {
      execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', BINARY, SOURCE], { stdio: ['ignore', 'inherit', 'inherit'] });
    } catch (err) {
      throw new Error(`the paced-streams client needs a C compiler (cc, or set CC): ${(err as Error).message}`);
    }
  }
  built = true;
  return BINARY;
}

/** The request every stream sends, as a file for the client. */
function requestFile(apiKey: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'paced-')), 'request.http');
  writeFileSync(
    file,
    `POST ${PACED_STREAM_PATH} HTTP/1.1\r\nhost: localhost\r\napi-key: ${apiKey}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(PACED_STREAM_BODY)}\r\n\r\n${PACED_STREAM_BODY}`,
  );
  return file;
}

/** CPU seconds (user + system) of a process so far: /proc/<pid>/stat fields 14 and 15, in clock ticks. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

interface ClientOutput {
  tokenEvents: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  failed: number;
  seconds: number;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
}

const run = promisify(execFile);
async function client(port: number, request: string, n: number, shape: StreamShape, seconds: number): Promise<ClientOutput> {
  const args = [String(port), request, String(n), shape, String(seconds), String(PER_TOKEN_MS), String(TOKENS), String(HEAD_EVENTS)];
  const { stdout } = await run(pacedClientBinary(), args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.replace(/-?nan/g, 'null')) as ClientOutput;
}

/**
 * `n` concurrent streams of the given shape (after a warm-up burst), on a server that answers the
 * paced stream request (a simulator started with PACED_STREAM_SETTINGS, or the bare paced server).
 * `seconds`: how long a steady load lasts.
 */
export async function pacedStreams(server: PacedServer, apiKey: string, n: number, shape: StreamShape = 'steady', seconds = 3): Promise<PacedStreamsResult> {
  const request = requestFile(apiKey);
  await client(server.port, request, Math.min(n, WARM_UP_STREAMS), 'burst', 0);
  await readStats(server.port, apiKey, true);
  const cpuBefore = cpuSeconds(server.pid);
  const out = await client(server.port, request, n, shape, seconds);
  const serverCpu = cpuSeconds(server.pid) - cpuBefore;
  const stats = await readStats(server.port, apiKey, true);
  const perEvent = (s: number): number => (out.tokenEvents > 0 ? (s * 1e6) / out.tokenEvents : NaN);
  return {
    streams: n,
    shape,
    tokenEvents: out.tokenEvents,
    client: { p50: out.p50 ?? NaN, p99: out.p99 ?? NaN, p999: out.p999 ?? NaN, max: out.max ?? NaN },
    server: stats.scheduler_lateness_ms,
    overhead: stats.overhead_ms,
    cpuMicrosPerEvent: { server: perEvent(serverCpu), client: perEvent(out.cpuUserSeconds + out.cpuSystemSeconds) },
    seconds: out.seconds,
    failed: out.failed,
  };
}
