/**
 * How closely replay follows recorded stream timing: replays the streamed example in recordings/
 * (35 events over ~0.9 s) N times, one after another, and measures when each event reaches the
 * client against its recorded offset. The first run is a warm-up (a cold connection and code
 * path) and is reported apart.
 *
 *   node dist/bench/replay-pacing.js [--runs 30]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import yaml from 'js-yaml';
import { startSimulator } from './processes.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const runs = Number(values.runs);
const dir = fileURLToPath(new URL('../../recordings', import.meta.url));
const file = `${dir}/openai_deployments_gpt-4o_chat_completions.yaml`;
const doc = yaml.load(readFileSync(file, 'utf8')) as {
  interactions: { request: { uri: string; body: string }; response: { stream_offsets_ms?: number[] } }[];
};
const recorded = doc.interactions.find((i) => i.response.stream_offsets_ms)!;
const offsets = recorded.response.stream_offsets_ms!;

const sim = await startSimulator({ SIMULATOR_MODE: 'replay', RECORDING_DIR: dir, SIMULATOR_API_KEY: 'k' });
const lags: number[] = [];
let warmUpMax = 0;
try {
  for (let r = 0; r < runs + 1; r++) {
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${sim.port}${new URL(recorded.request.uri).pathname}`, {
      method: 'POST',
      headers: { 'api-key': 'k', 'content-type': 'application/json' },
      body: recorded.request.body,
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let event = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        buffer = buffer.slice(end + 2);
        const lag = performance.now() - t0 - offsets[event++]!;
        if (r === 0) warmUpMax = Math.max(warmUpMax, lag);
        else lags.push(lag);
      }
    }
  }
} finally {
  await sim.stop();
}
lags.sort((a, b) => a - b);
const q = (p: number): string => lags[Math.floor(p * (lags.length - 1))]!.toFixed(2);
console.log(`Replayed stream: ${runs} runs × ${offsets.length} events; arrival minus recorded offset, measured at the client:`);
console.log(`| min | p50 | p99 | max | warm-up run max |`);
console.log(`|---|---|---|---|---|`);
console.log(`| ${q(0)} ms | ${q(0.5)} ms | ${q(0.99)} ms | ${q(1)} ms | ${warmUpMax.toFixed(2)} ms |`);
