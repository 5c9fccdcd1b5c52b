/**
 * The fault scopes' sequences on Redis (core/faults/select.ts `Sequences`), for a front-end
 * thread when SIMULATOR_REDIS_URL is set: each scope's cursor is one counter,
 * `<prefix>faults:<epoch>:<slot>`, taken and advanced by one script (INCR, and an expiry a day
 * after its last use), so the same seed and the same order of requests give the same faults
 * whichever replica answers, and "fail the next two, then succeed" holds across replicas. A new
 * fault configuration has a new epoch (core/faults/config.ts): its sequences start afresh.
 *
 * A request never waits on the store beyond its timeout (SIMULATOR_REDIS_TIMEOUT_MS): on an error
 * or a timeout the draw uses the replica's own cursor (the shared-memory one every thread of the
 * process shares), says so once in the log, and for a second takes no round trip at all; then the
 * next request probes again.
 */
import type { FaultConfig } from '../core/faults/config.js';
import { SharedSequences, type Sequences } from '../core/faults/select.js';
import { Breaker, connectRetrying, redisClient, runScript, sha1, within, type Redis } from './redis.js';

/** Returns the cursor before the increment (a scope's first request gets ordinal 0). */
const NEXT = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n - 1
`;
const NEXT_SHA = sha1(NEXT);
/** A schedule left alone for a day starts again; keys of replaced configurations go by themselves. */
const KEEP_MS = 86_400_000;

export interface FaultSequenceOptions {
  readonly url: string;
  readonly prefix: string;
  readonly timeoutMs: number;
}

export class RedisFaultSequences {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #breaker: Breaker;
  #closed = false;

  constructor(options: FaultSequenceOptions, readonly log: { warn(message: string): void; info(message: string): void }) {
    this.#prefix = options.prefix;
    this.#timeoutMs = options.timeoutMs;
    this.#client = redisClient(options.url, (err) => this.#breaker.failed(err));
    this.#breaker = new Breaker(this.#client, log, {
      down: (reason) => `Redis unavailable (${reason}): fault sequences and schedules drawn from this replica's own cursors until it answers again`,
      up: 'Redis answers again: fault sequences and schedules are shared across replicas again',
    });
  }

  /** Connects, waiting at most `ms` (draws are local until it does); a failed first connection is retried every second. */
  connect(ms: number): Promise<void> {
    return connectRetrying(this.#client, ms, (err) => this.#breaker.failed(err), () => this.#closed);
  }

  /** The sequences of one fault configuration (one per configuration snapshot, not per request). */
  of(config: FaultConfig): Sequences {
    const local = new SharedSequences(config.cursors);
    const base = `${this.#prefix}faults:${config.epoch}:`;
    return { next: (slot) => this.#next(base + slot, slot, local) };
  }

  #next(key: string, slot: number, local: SharedSequences): number | Promise<number> {
    if (this.#breaker.down()) return local.next(slot);
    return within(runScript(this.#client, NEXT, NEXT_SHA, [key], [String(KEEP_MS)]), this.#timeoutMs, 'fault sequence').then(
      (reply) => {
        this.#breaker.answered();
        return Number(reply);
      },
      (err: unknown) => {
        this.#breaker.failed(err as Error);
        return local.next(slot);
      },
    );
  }


  close(): Promise<void> {
    this.#closed = true;
    return this.#client.isOpen ? this.#client.close().catch(() => undefined) : Promise.resolve();
  }
}
