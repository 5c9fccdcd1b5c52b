/**
 * Non-streaming chat throughput: the simulator against a bare uWebSockets.js server answering a
 * fixed body of the same size, in the same run, with the same thread count and load. The ratio
 * is the number that matters on a shared, noisy machine; the absolute figures are context.
 *
 *   node dist/bench/throughput.js [--threads 1,2] [--seconds 8] [--connections 64] [--rounds 2]
 *                                  [--deployment gpt-35-turbo-100m-token]   (a rate-limited one)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { load, type LoadResult, type LoadSpec } from './load.js';
import { startBareServer, startSimulator } from './processes.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    seconds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '2' },
    // gpt-35-turbo-100m-token is rate-limited (100M TPM): it measures the limiter path.
    deployment: { type: 'string', default: 'gpt-35-turbo' },
  },
});
const threadCounts = values.threads.split(',').map(Number);
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const rounds = Number(values.rounds);

const API_KEY = 'bench-key';
const PATH = `/openai/deployments/${values.deployment}/chat/completions?api-version=2024-10-21`;
// The ARCHITECTURE.md scenario: a 14-token prompt, a 50-token answer.
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'What is the meaning of life?' }], max_tokens: 50 });
const HEADERS = { 'content-type': 'application/json', 'api-key': API_KEY };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(port: number): Promise<LoadResult> {
  const spec: LoadSpec = { url: `http://127.0.0.1:${port}${PATH}`, method: 'POST', headers: HEADERS, body: BODY, connections, seconds };
  return load(spec);
}

interface Row {
  threads: number;
  bareRps: number;
  simulatorRps: number;
  ratio: number;
  simulatorP50Ms: number;
  simulatorP99Ms: number;
  errors: number;
  tool: string;
}

async function compare(threads: number): Promise<Row> {
  // fill: every answer is exactly 50 tokens, the size of the bare server's fixed answer.
  const sim = await startSimulator({ SIMULATOR_THREADS: String(threads), SIMULATOR_API_KEY: API_KEY, SIMULATOR_ANSWER_LENGTH: 'fill' });
  // The bare server answers with a real simulator answer, so both send the same bytes.
  const sample = await fetch(`http://127.0.0.1:${sim.port}${PATH}`, { method: 'POST', headers: HEADERS, body: BODY });
  const bodyFile = join(mkdtempSync(join(tmpdir(), 'bench-')), 'answer.json');
  writeFileSync(bodyFile, await sample.text());
  const bare = await startBareServer(threads, bodyFile);
  try {
    // Warm both (JIT, connections), then alternate so drift on a shared machine hits both alike.
    await load({ url: `http://127.0.0.1:${bare.port}${PATH}`, method: 'POST', headers: HEADERS, body: BODY, connections, seconds: 2 });
    await load({ url: `http://127.0.0.1:${sim.port}${PATH}`, method: 'POST', headers: HEADERS, body: BODY, connections, seconds: 2 });
    const bareRuns: LoadResult[] = [];
    const simRuns: LoadResult[] = [];
    for (let r = 0; r < rounds; r++) {
      bareRuns.push(await measure(bare.port));
      simRuns.push(await measure(sim.port));
      process.stderr.write(
        `threads ${threads} round ${r + 1}/${rounds}: bare ${bareRuns.at(-1)!.requestsPerSecond.toFixed(0)} req/s, simulator ${simRuns.at(-1)!.requestsPerSecond.toFixed(0)} req/s\n`,
      );
    }
    const bareRps = median(bareRuns.map((x) => x.requestsPerSecond));
    const simulatorRps = median(simRuns.map((x) => x.requestsPerSecond));
    return {
      threads,
      bareRps,
      simulatorRps,
      ratio: simulatorRps / bareRps,
      simulatorP50Ms: median(simRuns.map((x) => x.latencyP50Ms)),
      simulatorP99Ms: median(simRuns.map((x) => x.latencyP99Ms)),
      errors: simRuns.reduce((n, x) => n + x.errors, 0),
      tool: simRuns[0]!.tool,
    };
  } finally {
    await bare.stop();
    await sim.stop();
  }
}

const rows: Row[] = [];
for (const threads of threadCounts) rows.push(await compare(threads));
console.log(`\nNon-streaming chat (14-token prompt, max_tokens 50) on deployment ${values.deployment}, ${connections} connections, ${seconds}s × ${rounds} rounds, load by ${rows[0]?.tool}`);
console.log('| threads | bare uWS req/s | simulator req/s | ratio | sim p50 ms | sim p99 ms | errors |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.threads} | ${r.bareRps.toFixed(0)} | ${r.simulatorRps.toFixed(0)} | ${r.ratio.toFixed(2)} | ${r.simulatorP50Ms.toFixed(2)} | ${r.simulatorP99Ms.toFixed(2)} | ${r.errors} |`,
  );
}
console.log(JSON.stringify({ scenario: 'chat-non-streaming', rows }));
