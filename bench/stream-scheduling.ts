/**
 * Scheduling accuracy of paced streams under load: N concurrent streaming chat requests (20 tokens
 * at 20 ms a token, so 400 ms each), and for every token event the time it reached the client
 * minus the time the latency model intended: k × 20 ms after the stream's first event (sent the
 * moment the answer is ready, so it stands for the request's start on the server; thousands of
 * requests cannot all be sent at once, so the client's send time would measure its own queue).
 * Measured at the client, on the same 2 cores as the server: the figures include the client's lag
 * and bound the simulator's error from above.
 *
 *   node dist/bench/stream-scheduling.js [--streams 1000,5000]
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { startSimulator } from './processes.js';

const { values } = parseArgs({ options: { streams: { type: 'string', default: '1000,5000' } } });
const PER_TOKEN_MS = 20;
const TOKENS = 20;
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: TOKENS, stream: true });

function stream(port: number, agent: http.Agent, errors: number[]): Promise<number[]> {
  return new Promise((resolve) => {
    let start = -1;
    const lags: number[] = [];
    const req = http.request(
      { port, host: '127.0.0.1', method: 'POST', path: '/openai/deployments/gpt-4o/chat/completions', agent, headers: { 'api-key': 'k', 'content-type': 'application/json' } },
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
      errors.push(1);
      resolve(lags);
    });
    req.end(BODY);
  });
}

const quantile = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

const sim = await startSimulator({
  SIMULATOR_API_KEY: 'k',
  SIMULATOR_ANSWER_LENGTH: 'fill',
  LATENCY_OPENAI_CHAT_COMPLETIONS_MEAN: String(PER_TOKEN_MS),
  LATENCY_OPENAI_CHAT_COMPLETIONS_STD_DEV: '0',
});
console.log(`Paced streams: ${TOKENS} tokens at ${PER_TOKEN_MS} ms each; token arrival minus intended time (after the stream's first event), at the client`);
console.log('| concurrent streams | token events | client p50 ms | client p99 ms | client max ms | server p50 ms | server p99 ms | server max ms | failed |');
console.log('|---|---|---|---|---|---|---|---|---|');
const stats = async (reset: boolean): Promise<{ p50: number; p99: number; max: number }> => {
  const res = await fetch(`http://127.0.0.1:${sim.port}/++/stats${reset ? '?reset=true' : ''}`, { headers: { 'api-key': 'k' } });
  return ((await res.json()) as { scheduler_lateness_ms: { p50: number; p99: number; max: number } }).scheduler_lateness_ms;
};
try {
  for (const n of values.streams.split(',').map(Number)) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    const errors: number[] = [];
    await Promise.all(Array.from({ length: Math.min(n, 200) }, () => stream(sim.port, agent, errors))); // warm-up
    await stats(true);
    const all = (await Promise.all(Array.from({ length: n }, () => stream(sim.port, agent, errors)))).flat().sort((a, b) => a - b);
    // The server's own view: how late its scheduler ran each write against the intended time.
    const server = await stats(true);
    agent.destroy();
    console.log(
      `| ${n} | ${all.length} | ${quantile(all, 0.5).toFixed(2)} | ${quantile(all, 0.99).toFixed(2)} | ${all.at(-1)!.toFixed(2)} | ` +
        `${server.p50.toFixed(2)} | ${server.p99.toFixed(2)} | ${server.max.toFixed(2)} | ${errors.length} |`,
    );
  }
} finally {
  await sim.stop();
}
