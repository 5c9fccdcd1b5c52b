/**
 * Many concurrent latency-paced streams against a simulator, and how late their token events
 * were. Each stream is a streaming chat request of `TOKENS` tokens at `PER_TOKEN_MS` a token; for
 * every token event the client takes its arrival minus the intended time: k × PER_TOKEN_MS after
 * the stream's first event (sent the moment the answer is ready, so it stands for the request's
 * start on the server; thousands of requests cannot all be sent at once, so the client's send
 * time would measure its own queue). The client shares the machine with the server, so its
 * figures bound the simulator's error from above; the server's own view (scheduler lateness from
 * `/++/stats`) is taken over the same streams.
 */
import http from 'node:http';
import { readStats, type Percentiles } from './simulator-stats.js';

export const PER_TOKEN_MS = 20;
export const TOKENS = 20;
/** The settings a simulator needs for these streams: the latency model on, answers of exactly TOKENS. */
export const PACED_STREAM_SETTINGS: Readonly<Record<string, string>> = {
  SIMULATOR_ANSWER_LENGTH: 'fill',
  LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: String(PER_TOKEN_MS),
  LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0',
};
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: TOKENS, stream: true });

export interface PacedStreamsResult {
  readonly streams: number;
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

function stream(port: number, apiKey: string, agent: http.Agent, failed: { n: number }): Promise<number[]> {
  return new Promise((resolve) => {
    let start = -1;
    const lags: number[] = [];
    const req = http.request(
      { port, host: '127.0.0.1', method: 'POST', path: '/openai/deployments/gpt-4o/chat/completions', agent, headers: { 'api-key': apiKey, 'content-type': 'application/json' } },
      (res) => {
        let buffer = '';
        let token = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          const now = performance.now();
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (start < 0) start = now; // the prompt-filter event: the stream has started
            else if (event.includes('"delta":{"content":"') && !event.includes('"role"')) lags.push(now - start - PER_TOKEN_MS * ++token);
          }
        });
        res.on('end', () => resolve(lags));
      },
    );
    req.on('error', () => {
      failed.n++;
      resolve(lags);
    });
    req.end(BODY);
  });
}

export const quantile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

/** `n` streams at once (after a warm-up of up to 200), on a simulator started with PACED_STREAM_SETTINGS. */
export async function pacedStreams(port: number, apiKey: string, n: number): Promise<PacedStreamsResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const failed = { n: 0 };
  try {
    await Promise.all(Array.from({ length: Math.min(n, 200) }, () => stream(port, apiKey, agent, failed))); // warm-up
    failed.n = 0;
    await readStats(port, apiKey, true);
    const t0 = performance.now();
    const lags = (await Promise.all(Array.from({ length: n }, () => stream(port, apiKey, agent, failed)))).flat().sort((a, b) => a - b);
    const seconds = (performance.now() - t0) / 1000;
    const stats = await readStats(port, apiKey, true);
    return { streams: n, tokenEvents: lags.length, clientLagsMs: lags, server: stats.scheduler_lateness_ms, overhead: stats.overhead_ms, seconds, failed: failed.n };
  } finally {
    agent.destroy();
  }
}
