/**
 * Start-up time and memory of replay mode with a large recording directory: writes N interactions
 * (default 10,000, in files of 1,000, realistic chat answers of ~1.3 KB) to a temporary directory,
 * starts the simulator in replay mode on it, and reports the time to "listening" and the process's
 * resident memory then and after serving one replay hit. Compared with the same simulator started
 * on an empty directory in the same run.
 *
 *   node dist/bench/replay-startup.js [--interactions 10000]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { RecordedInteraction } from '../src/core/recording/recording-file.js';
import { serializeRecordingFile } from '../src/core/recording/recording-yaml.js';
import { bodyHash } from '../src/core/recording/recording-key.js';
import { freePort, SIMULATOR_MAIN, spawnListening } from './processes.js';

const { values } = parseArgs({ options: { interactions: { type: 'string', default: '10000' } } });
const total = Number(values.interactions);
const PER_FILE = 1_000;

function interaction(i: number): RecordedInteraction {
  const body = JSON.stringify({ messages: [{ role: 'user', content: `Question number ${i}: what is the meaning of life?` }], max_tokens: 50 });
  const answer = JSON.stringify({
    id: `chatcmpl-${i}`, object: 'chat.completion', created: 1, model: 'gpt-4o',
    choices: [{ index: 0, finish_reason: 'length', message: { role: 'assistant', content: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(4) } }],
    usage: { prompt_tokens: 20, completion_tokens: 50, total_tokens: 70 },
  });
  return {
    context_values: { 'Deployment-Name': 'gpt-4o', 'Operation-Name': 'chat_completions' },
    request: { method: 'POST', uri: `https://example.openai.azure.com/openai/deployments/d${Math.floor(i / PER_FILE)}/chat/completions`, headers: { 'content-type': ['application/json'] }, body, body_hash: bodyHash(body, 'application/json') },
    response: { status: { code: 200 }, headers: { 'content-type': ['application/json'] }, body: { string: answer.padEnd(1300) }, duration_ms: 0 },
  };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function start(dir: string): Promise<{ ms: number; rss: number; rssAfterHit: number }> {
  const port = await freePort();
  const t0 = performance.now();
  const child = await spawnListening(SIMULATOR_MAIN, { SIMULATOR_MODE: 'replay', RECORDING_DIR: dir, PORT: String(port), SIMULATOR_API_KEY: 'k', LOG_LEVEL: 'warn' });
  const ms = performance.now() - t0;
  const rss = rssMb(child.pid!);
  const hit = interaction(0);
  await fetch(`http://127.0.0.1:${port}/openai/deployments/d0/chat/completions`, { method: 'POST', headers: { 'api-key': 'k', 'content-type': 'application/json' }, body: hit.request.body as string });
  const rssAfterHit = rssMb(child.pid!);
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return { ms, rss, rssAfterHit };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
let bytes = 0;
for (let f = 0; f * PER_FILE < total; f++) {
  const items = Array.from({ length: Math.min(PER_FILE, total - f * PER_FILE) }, (_, i) => interaction(f * PER_FILE + i));
  const text = serializeRecordingFile(items);
  bytes += text.length;
  writeFileSync(join(dir, `openai_deployments_d${f}_chat_completions.yaml`), text);
}
const empty = await start(mkdtempSync(join(tmpdir(), 'bench-replay-empty-')));
const full = await start(dir);
console.log(`Replay start-up with ${total} interactions (${(bytes / 1e6).toFixed(1)} MB of YAML in ${Math.ceil(total / PER_FILE)} files):`);
console.log('| directory | time to listening ms | RSS at start MB | RSS after a hit MB |');
console.log('|---|---|---|---|');
console.log(`| empty | ${empty.ms.toFixed(0)} | ${empty.rss.toFixed(0)} | ${empty.rssAfterHit.toFixed(0)} |`);
console.log(`| ${total} interactions | ${full.ms.toFixed(0)} | ${full.rss.toFixed(0)} | ${full.rssAfterHit.toFixed(0)} |`);
console.log(JSON.stringify({ interactions: total, yamlBytes: bytes, empty, full }));
