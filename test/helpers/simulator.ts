/**
 * Starts the built simulator as a real process on a free port, the way a user runs it, and stops
 * it with SIGTERM. Each instance runs in its own temporary working directory (no stray `.env`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NO_LATENCY } from '../../bench/processes.js';

export const MAIN = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

export interface Simulator {
  readonly url: string;
  readonly apiKey: string;
  readonly process: ChildProcess;
  /** Everything the process wrote to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface Exited {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// Tests run without simulated latency unless they set it (as the Python simulator's tests did).

function spawnMain(env: Record<string, string>, cwd?: string, main = MAIN): ChildProcess {
  return spawn(process.execPath, [main], {
    cwd: cwd ?? mkdtempSync(join(tmpdir(), 'aoai-sim-')),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', SIMULATOR_THREADS: '2', PORT: '0', ...NO_LATENCY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface StartOptions {
  readonly cwd?: string;
  /** Give the process a random SIMULATOR_API_KEY unless `env` sets one (default true). */
  readonly injectKey?: boolean;
}

export async function startSimulator(env: Record<string, string> = {}, { cwd, injectKey = true }: StartOptions = {}): Promise<Simulator> {
  const injected = injectKey && env.SIMULATOR_API_KEY === undefined ? { SIMULATOR_API_KEY: `test-key-${Math.random().toString(36).slice(2)}` } : {};
  const child = spawnMain({ ...injected, ...env }, cwd);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start in time:\n${stdout}\n${stderr}`)), 45_000);
    child.stdout!.on('data', () => {
      const m = /listening on (http:\/\/localhost:\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!.replace('localhost', '127.0.0.1'));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited with ${code} before listening:\n${stdout}\n${stderr}`));
    });
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // A generated key is printed in the banner; a configured one is the caller's (or `.env`'s).
  const apiKey = /^API key: (\S+)$/m.exec(stdout)?.[1] ?? env.SIMULATOR_API_KEY ?? injected.SIMULATOR_API_KEY ?? '';
  return {
    url,
    apiKey,
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      // A thread that died and was restarted leaves only this trace: show it with the test run,
      // so an intermittent failure comes with its evidence.
      if (/exited \(code|failed:/.test(stderr)) console.warn(`[simulator ${url} stderr]\n${stderr}`);
      return code;
    },
  };
}

/** `PATCH /++/config` with the simulator's key. */
export function patchConfig(sim: Simulator, patch: unknown): Promise<Response> {
  return fetch(`${sim.url}/++/config`, {
    method: 'PATCH',
    headers: { 'api-key': sim.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
}

/** Runs the simulator (or the `main` of a copy of it) expecting it to stop by itself (e.g. a configuration error). */
export async function runToExit(env: Record<string, string>, timeoutMs = 30_000, main = MAIN): Promise<Exited> {
  const child = spawnMain(env, undefined, main);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`simulator kept running:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
