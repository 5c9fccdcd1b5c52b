/**
 * A real redis-server for the tests: Debian's package, installed by the test set-up when missing
 * (test/global-setup.ts calls `ensureRedisServer`), one server per test file on a unix socket with
 * no TCP port and no persistence. No mock stands in for Redis.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const hasRedis = (): boolean => {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Installs Debian's redis-server when it is missing (root: apt-get; `apt-get update` first if needed). */
export function ensureRedisServer(): void {
  if (hasRedis()) return;
  if (process.getuid?.() !== 0) throw new Error('redis-server is missing and the tests are not running as root: apt-get install redis-server');
  const install = (): void => void execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'redis-server'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    install();
  }
}

export interface RedisServer {
  /** The unix socket path (what SIMULATOR_REDIS_URL takes). */
  readonly socket: string;
  /** Stops the server (by its PID); `start` brings a fresh one back on the same socket. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'aoai-sim-redis-'));
  const socket = join(dir, 'redis.sock');
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], { stdio: 'ignore' });
    const started = Date.now();
    while (!existsSync(socket)) {
      if (Date.now() - started > 10_000) throw new Error('redis-server did not create its socket within 10 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
    rmSync(socket, { force: true });
  };
  await start();
  return { socket, stop, start };
}
