/**
 * The Redis connection every thread of a replica opens when SIMULATOR_REDIS_URL is set (a
 * `redis://` or `rediss://` URL, or a unix socket path), and the one way scripts are run: EVALSHA,
 * with EVAL when the server does not know the script yet (NOSCRIPT: a restarted or flushed Redis).
 * Commands are never queued while disconnected (`disableOfflineQueue`): a request must not wait
 * for a store that is gone; the client reconnects by itself.
 */
import { createHash } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';

export type Redis = RedisClientType<Record<string, never>, Record<string, never>, Record<string, never>, 3>;

/** A Redis client for the URL or socket path; `onError` sees every connection error. */
export function redisClient(url: string, onError: (err: Error) => void): Redis {
  const socket = { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000) };
  const client = (
    /^rediss?:\/\//i.test(url) ? createClient({ url, socket, disableOfflineQueue: true }) : createClient({ socket: { ...socket, path: url }, disableOfflineQueue: true })
  ) as unknown as Redis;
  client.on('error', onError);
  return client;
}

/**
 * `promise`'s outcome, or `late()`'s once `ms` have passed without one (`late` may throw: a
 * rejection). The timer ends with the race, so a settled call keeps no timer alive.
 */
function orAfter<T, L>(promise: Promise<T>, ms: number, late: () => L): Promise<T | L> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))).then(late);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects, but gives up waiting after `ms` (the client keeps trying in the background). */
export function connectWithin(client: Redis, ms: number): Promise<boolean> {
  return orAfter(client.connect().then(() => true, () => false), ms, () => false);
}

/** How long a failed store counts as down, and how often a failed first connection is retried. */
const BREAK_MS = 1_000;

/**
 * A front-end thread's one connection to the store, shared by everything the thread keeps there
 * (rate-limit windows, fault cursors, stored responses): one socket per thread, not one per use.
 * Each use takes its own breaker on it (its own log lines, and its own second of "down" after its
 * own timeout); a connection error trips them all. `connect` resolves once connected or after
 * `ms` (the thread decides locally meanwhile); a failed first connection is retried every second
 * until `close`; once connected, the client reconnects by itself.
 */
export class ThreadConnection {
  readonly client: Redis;
  readonly #breakers: Breaker[] = [];
  #closed = false;

  constructor(url: string) {
    this.client = redisClient(url, (err) => this.#failed(err));
  }

  breaker(log: BreakerLog, lines: BreakerLines): Breaker {
    const breaker = new Breaker(this.client, log, lines);
    this.#breakers.push(breaker);
    return breaker;
  }

  connect(ms: number): Promise<void> {
    const attempt = (): Promise<void> =>
      this.client.connect().then(
        () => undefined,
        (err: Error) => {
          this.#failed(err);
          if (!this.#closed && !this.client.isOpen) setTimeout(() => void attempt(), BREAK_MS).unref();
        },
      );
    return orAfter(attempt(), ms, () => undefined);
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.client.isOpen ? this.client.close().catch(() => undefined) : Promise.resolve();
  }

  readonly #failed = (err: Error): void => {
    for (const breaker of this.#breakers) breaker.failed(err);
  };
}

type BreakerLog = { warn(message: string): void; info(message: string): void };
/** A breaker's log lines: while down (given the reason) and once Redis answers again. */
type BreakerLines = { readonly down: (reason: string) => string; readonly up: string };

/**
 * A breaker on a thread's connection: after an error or a timeout the store counts as down for
 * a second — every decision meanwhile is the caller's fallback, with no round trip — then the next
 * request probes. Going down and coming back are each logged once.
 */
export class Breaker {
  #downUntil = 0;
  #wasDown = false;

  constructor(
    readonly client: Redis,
    readonly log: BreakerLog,
    readonly lines: BreakerLines,
  ) {}

  down(): boolean {
    return !this.client.isReady || Date.now() < this.#downUntil;
  }

  failed(err?: Error): void {
    this.#downUntil = Date.now() + BREAK_MS;
    if (this.#wasDown) return;
    this.#wasDown = true;
    this.log.warn(this.lines.down(err?.message ?? 'not connected'));
  }

  answered(): void {
    if (!this.#wasDown) return;
    this.#wasDown = false;
    this.log.info(this.lines.up);
  }
}

export const sha1 = (script: string): string => createHash('sha1').update(script).digest('hex');

/** Runs a script by its hash, sending it once if the server answers NOSCRIPT. */
export async function runScript(client: Redis, script: string, hash: string, keys: string[], args: string[]): Promise<unknown> {
  try {
    return await client.evalSha(hash, { keys, arguments: args });
  } catch (err) {
    if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
    return client.eval(script, { keys, arguments: args });
  }
}

/** Rejects after `ms` unless `promise` settled first. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return orAfter(promise, ms, (): never => {
    throw new Error(`${what}: no answer from Redis within ${ms} ms`);
  });
}

/**
 * The replica's shared status, one small SharedArrayBuffer main writes and every thread reads:
 * the live replica count (from the heartbeat), whether main sees the store up, and the number of
 * decisions taken without the store (exported in /++/stats).
 */
export const STATUS = { replicas: 0, down: 1, degraded: 2 } as const;
export const newStatus = (): SharedArrayBuffer => {
  const buffer = new SharedArrayBuffer(4 * 4);
  new Int32Array(buffer)[STATUS.replicas] = 1;
  return buffer;
};
