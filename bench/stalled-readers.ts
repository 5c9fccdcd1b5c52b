/**
 * Memory of slow readers: RSS of the simulator process with 200 paused readers of
 * 4,000-token streams, and after they leave. Each reader is a raw socket that sends a streaming
 * chat request (max_tokens 4,000, answers of exactly that length, so the pool builds them) and
 * then stops reading; the simulator can only hold what it has not written. Not a timed test: a
 * measurement, printed as a table.
 *
 *   node dist/bench/stalled-readers.js [--readers 200] [--tokens 4000] [--main path/to/dist/src/main.js] [--per-token-ms 0] [--readers-read]
 *
 * `--main` runs another build (e.g. main's, for a before/after in one run); `--per-token-ms` > 0
 * measures latency-paced streams instead of unpaced ones.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePort, NO_LATENCY, SIMULATOR_MAIN, spawnListening } from './processes.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const READERS = Number(arg('readers', '200'));
const TOKENS = Number(arg('tokens', '4000'));
const MAIN = arg('main', SIMULATOR_MAIN);
const PER_TOKEN_MS = Number(arg('per-token-ms', '0'));
/** `--readers-read`: the same 200 requests at once, read to the end (what the burst costs by itself). */
const CONTROL = process.argv.includes('--readers-read');
const SETTLE_MS = 4_000;
const LATER_MS = 20_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return kb / 1024;
}

async function main(): Promise<void> {
  const port = await freePort();
  const key = 'stalled-readers-key';
  const child = await spawnListening(MAIN, {
    ...NO_LATENCY, PORT: String(port), SIMULATOR_API_KEY: key, LOG_LEVEL: 'warn', SIMULATOR_ANSWER_LENGTH: 'fill',
    LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: String(PER_TOKEN_MS), LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0',
  });
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: TOKENS, stream: true });
  const request =
    `POST /openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21 HTTP/1.1\r\nhost: 127.0.0.1\r\napi-key: ${key}\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  // Warm up (tokenizer, corpus, pool threads) with readers that read everything.
  for (let i = 0; i < 5; i++) await readAll(port, request);
  await sleep(1_000);
  const idle = rssMiB(child.pid!);

  const sockets: net.Socket[] = [];
  let firstBytes = 0;
  await Promise.all(
    Array.from({ length: READERS }, () =>
      new Promise<void>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
        sockets.push(socket);
        socket.once('data', (d) => {
          firstBytes += d.length;
          if (!CONTROL) socket.pause(); // the reader stops here: the rest stays with the server (or the kernel)
          resolve();
        });
        socket.on('error', () => resolve());
      }),
    ),
  );
  await sleep(SETTLE_MS + PER_TOKEN_MS * TOKENS);
  const paused = rssMiB(child.pid!);
  for (const s of sockets) s.destroy();
  await sleep(SETTLE_MS);
  const left = rssMiB(child.pid!);
  // V8 gives pages back to the system on its idle collections, some seconds after the load.
  await sleep(LATER_MS);
  const later = rssMiB(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));

  const rows = [
    ['simulator idle (after warm-up)', idle],
    [`${READERS} ${CONTROL ? 'reading' : 'paused'} readers of ${TOKENS}-token streams`, paused],
    [`${SETTLE_MS / 1000} s after they left`, left],
    [`${(SETTLE_MS + LATER_MS) / 1000} s after they left`, later],
  ] as const;
  process.stdout.write(`\nstalled readers — ${MAIN}${PER_TOKEN_MS > 0 ? `, ${PER_TOKEN_MS} ms per token` : ', no latency'}\n`);
  for (const [label, mib] of rows) process.stdout.write(`  ${label.padEnd(48)} ${mib.toFixed(0).padStart(6)} MiB\n`);
  process.stdout.write(`  ${`added by the ${CONTROL ? 'reading' : 'paused'} readers`.padEnd(48)} ${(paused - idle).toFixed(0).padStart(6)} MiB (${(((paused - idle) * 1024) / READERS).toFixed(0)} KiB each)\n`);
  process.stdout.write(`  ${`still held ${(SETTLE_MS + LATER_MS) / 1000} s after they left`.padEnd(48)} ${(later - idle).toFixed(0).padStart(6)} MiB\n`);
  void firstBytes;
}

function readAll(port: number, request: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      if (text.endsWith('0\r\n\r\n')) {
        socket.destroy();
        resolve();
      }
    });
    socket.on('error', () => resolve());
  });
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exit(1);
});
