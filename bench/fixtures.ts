/**
 * Files some scenarios need, written once per run into a temporary directory: a deployment config
 * with a tiny token budget (the 429 path) and a replay directory made from `recordings/`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type { RecordedInteraction } from '../src/core/recording/recording-file.js';
import { serializeRecordingFile } from '../src/core/recording/recording-yaml.js';

export const RECORDINGS_DIR = fileURLToPath(new URL('../../recordings', import.meta.url));
/** A deployment whose 1,000 tokens a minute (and 1 request per 10 s) are gone after the first request. */
export const TINY_DEPLOYMENT = 'bench-tiny-tpm';
/**
 * A limited deployment no bench run exhausts: 500M TPM allows 500,000 requests per 10 s (the
 * built-in 100M one's 100,000 run out within a run at full speed). Its window takes ~48 MB.
 */
export const HUGE_DEPLOYMENT = 'bench-huge-tpm';

export interface Fixtures {
  /** For OPENAI_DEPLOYMENT_CONFIG_PATH. */
  readonly deploymentConfig: string;
  /** For RECORDING_DIR: `recordings/` with every recorded duration set to 0. */
  readonly replayDir: string;
  /** The recorded non-streamed chat request the replay scenario sends (a hit). */
  readonly replayHit: { readonly path: string; readonly body: string };
  /** A redis-server of the bench's own (unix socket, no persistence), for the Redis limiter scenarios. */
  readonly redisSocket: string;
}

/**
 * Starts redis-server (Debian's; `make bench` installs it when missing) on a unix socket with no
 * TCP port and no persistence, stopped by its PID when the bench exits.
 */
function startRedis(dir: string): string {
  const socket = join(dir, 'redis.sock');
  const child = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  child.on('error', (err) => {
    process.stderr.write(`bench: cannot start redis-server (${err.message}); apt-get install redis-server\n`);
    process.exit(1);
  });
  // It must not keep the bench alive, and goes when the bench does (whatever way it ends).
  child.unref();
  process.on('exit', () => child.kill('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; !existsSync(socket); waited += 20) {
    if (waited > 10_000) throw new Error('redis-server did not create its socket within 10 s');
    Atomics.wait(sleeper, 0, 0, 20);
  }
  return socket;
}

export function writeFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'bench-fixtures-'));
  const deploymentConfig = join(dir, 'deployments.json');
  writeFileSync(
    deploymentConfig,
    JSON.stringify({ [TINY_DEPLOYMENT]: { model: 'gpt-4o', tokensPerMinute: 1000 }, [HUGE_DEPLOYMENT]: { model: 'gpt-4o', tokensPerMinute: 500_000_000 } }),
  );

  // Replay keeps recorded timing; the bench measures the simulator's own cost, so the copies answer
  // at once (the recorded 950 ms would make every scenario measure the same sleep).
  const replayDir = join(dir, 'recordings');
  mkdirSync(replayDir);
  let replayHit: Fixtures['replayHit'] | undefined;
  for (const file of readdirSync(RECORDINGS_DIR).filter((f) => f.endsWith('.yaml'))) {
    const doc = yaml.load(readFileSync(join(RECORDINGS_DIR, file), 'utf8')) as { interactions: RecordedInteraction[] };
    for (const it of doc.interactions) {
      it.response.duration_ms = 0;
      if (it.response.stream_offsets_ms) it.response.stream_offsets_ms = it.response.stream_offsets_ms.map(() => 0);
      const { uri, body } = it.request;
      if (!replayHit && uri.includes('/chat/completions') && !it.response.stream_offsets_ms && typeof body === 'string') {
        replayHit = { path: uri.replace(/^[a-z]+:\/\/[^/]+/i, ''), body };
      }
    }
    writeFileSync(join(replayDir, file), serializeRecordingFile(doc.interactions));
  }
  if (!replayHit) throw new Error(`no non-streamed chat interaction in ${RECORDINGS_DIR}`);
  return { deploymentConfig, replayDir, replayHit, redisSocket: startRedis(dir) };
}
