/**
 * When does handing a request to the worker pool pay? Measures, in one run:
 *   - the inline cost of generating a chat answer, by prompt size (unique prompts: no cache hits);
 *   - the round trip of the same task through the pool path the server uses (a MessagePort hop to
 *     the owner of the piscina pool, the pool, and back), and of a trivial task (pure hand-off).
 * A front-end thread blocked for `inline` µs delays every other connection it serves; the pool
 * frees it at the price of the hand-off. The threshold is the smallest prompt whose inline cost is
 * at least twice the hand-off: above it, keeping the event loop free costs less than it saves.
 *
 *   node dist/bench/pool-threshold.js
 */
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { makeDeployment } from '../src/core/config/deployments.js';
import { generate } from '../src/core/generation/index.js';
import { findModel } from '../src/core/models.js';
import { warmUp } from '../src/core/generation/warm-up.js';
import type { GenerateTask, PoolResult } from '../src/protocol/pool.js';

const deployment = makeDeployment('bench', findModel('gpt-4.1')!);
const WORDS = 'the quick brown fox jumps over a lazy dog while seven wizards quietly box jumbo frogs'.split(' ');
let serial = 0;

/** A prompt of about `chars` characters, different every call (defeats the token-count cache). */
function body(chars: number, maxTokens = 50): string {
  let text = `request ${serial++}:`;
  for (let i = 0; text.length < chars; i++) text += ' ' + WORDS[(i * 7 + serial) % WORDS.length];
  return JSON.stringify({ messages: [{ role: 'user', content: text }], max_tokens: maxTokens });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function inlineMicros(chars: number, iterations: number): number {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const text = body(chars);
    const t0 = performance.now();
    generate('chat', JSON.parse(text), deployment, { answerLength: 'fill' });
    times.push((performance.now() - t0) * 1000);
  }
  return median(times);
}

warmUp(['o200k_base']);
const pool = new Piscina({ filename: new URL('../src/workers/generate.js', import.meta.url).href, minThreads: 1, maxThreads: 1 });
// The server's path: front-end → MessagePort → pool owner → piscina → back.
const { port1: owner, port2: frontEnd } = new MessageChannel();
owner.on('message', ({ id, task }: { id: number; task: GenerateTask }) => {
  void pool.run(task).then((result: PoolResult) => owner.postMessage({ id, ...result }));
});
const pending = new Map<number, () => void>();
frontEnd.on('message', ({ id }: { id: number }) => {
  pending.get(id)?.();
  pending.delete(id);
});
let nextId = 0;
function viaPool(text: string): Promise<number> {
  const id = nextId++;
  const t0 = performance.now();
  return new Promise((resolve) => {
    pending.set(id, () => resolve((performance.now() - t0) * 1000));
    frontEnd.postMessage({ id, task: { operation: 'chat', body: JSON.parse(text) as Record<string, unknown>, deployment, options: { answerLength: 'fill' } } satisfies GenerateTask });
  });
}
async function pooledMicros(chars: number, iterations: number, maxTokens = 50): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) times.push(await viaPool(body(chars, maxTokens)));
  return median(times);
}

await pooledMicros(100, 200); // warm the worker (encodings, JIT)
const handOff = await pooledMicros(10, 400, 1);
const sizes = [256, 1_024, 2_048, 4_096, 8_192, 16_384, 32_768, 65_536, 131_072];
const rows: { chars: number; promptTokens: number; inlineUs: number; pooledUs: number }[] = [];
for (const chars of sizes) {
  const iterations = chars > 16_384 ? 30 : 200;
  const sample = generate('chat', JSON.parse(body(chars)), deployment, { answerLength: 'fill' });
  const promptTokens = sample.kind === 'error' ? 0 : sample.promptTokens;
  rows.push({ chars, promptTokens, inlineUs: inlineMicros(chars, iterations), pooledUs: await pooledMicros(chars, iterations) });
}
await pool.destroy();
frontEnd.close();
owner.close();

console.log(`Hand-off round trip (trivial task through the pool path): ${handOff.toFixed(0)} µs (median)`);
console.log('| body chars | prompt tokens | inline µs | via pool µs |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.chars} | ${r.promptTokens} | ${r.inlineUs.toFixed(0)} | ${r.pooledUs.toFixed(0)} |`);
const threshold = rows.find((r) => r.inlineUs >= 2 * handOff);
console.log(
  threshold
    ? `Inline work reaches twice the hand-off at ~${threshold.chars} characters of prompt: offload from there (SIMULATOR_POOL_MIN_BODY_BYTES).`
    : 'Inline work never reached twice the hand-off in these sizes.',
);
console.log(JSON.stringify({ handOffUs: handOff, rows, thresholdChars: threshold?.chars ?? null }));
