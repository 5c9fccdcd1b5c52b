/**
 * The throughput cost of extension hooks on non-streaming chat: the simulator with no extension,
 * with an extension that registers nothing, with a no-op request hook, and with a no-op response
 * hook — in the same run, rounds interleaved so the machine's load hits every variant alike.
 *
 *   node dist/bench/extension-hooks.js [--seconds 5] [--rounds 3] [--threads 1] [--connections 50]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { load } from './load.js';
import { startSimulator } from './processes.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
  },
});

const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-bench-ext-'));
const extension = (name: string, body: string): string => {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `export function initialize(api) {\n${body}\n}\n`);
  return file;
};

const VARIANTS: readonly { id: string; env: Record<string, string> }[] = [
  { id: 'no extension', env: {} },
  { id: 'empty extension', env: { EXTENSION_PATH: extension('empty', '') } },
  { id: 'no-op request hook', env: { EXTENSION_PATH: extension('request-hook', '  api.requestHooks.add(() => undefined);') } },
  { id: 'no-op response hook', env: { EXTENSION_PATH: extension('response-hook', '  api.responseHooks.add(() => undefined);') } },
];

const KEY = 'bench-key';
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'What is the meaning of life?' }], max_tokens: 50 });
const rps: Record<string, number[]> = Object.fromEntries(VARIANTS.map((v) => [v.id, []]));

for (let round = 1; round <= Number(values.rounds); round++) {
  for (const variant of VARIANTS) {
    const server = await startSimulator({ SIMULATOR_API_KEY: KEY, SIMULATOR_THREADS: values.threads!, ...variant.env });
    try {
      const spec = {
        url: `http://127.0.0.1:${server.port}/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21`,
        method: 'POST' as const,
        headers: { 'api-key': KEY, 'content-type': 'application/json' },
        body: BODY,
        connections: Number(values.connections),
        seconds: 1,
      };
      await load(spec); // warm-up
      const result = await load({ ...spec, seconds: Number(values.seconds) });
      if (result.non2xx > 0 || result.socketErrors > 0) throw new Error(`${variant.id}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`);
      rps[variant.id]!.push(result.requestsPerSecond);
      process.stdout.write(`round ${round} ${variant.id.padEnd(20)} ${Math.round(result.requestsPerSecond)} req/s (${result.tool})\n`);
    } finally {
      await server.stop();
    }
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(rps['no extension']!);
process.stdout.write(`\nmedian req/s over ${values.rounds} rounds, ${values.threads} front-end thread(s), ${values.connections} connections:\n`);
for (const variant of VARIANTS) {
  const m = median(rps[variant.id]!);
  process.stdout.write(`  ${variant.id.padEnd(20)} ${String(Math.round(m)).padStart(7)}  ratio ${(m / base).toFixed(2)}\n`);
}
