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
import { runScript, sha1, within, type Breaker, type Redis, type ThreadConnection } from './redis.js';

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
  readonly prefix: string;
  readonly timeoutMs: number;
}

export class RedisFaultSequences {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #breaker: Breaker;

  /** On the thread's one connection (the rate-limit windows' too), with a breaker of its own. */
  constructor(connection: ThreadConnection, options: FaultSequenceOptions, log: { warn(message: string): void; info(message: string): void }) {
    this.#prefix = options.prefix;
    this.#timeoutMs = options.timeoutMs;
    this.#client = connection.client;
    this.#breaker = connection.breaker(log, {
      down: (reason) => `Redis unavailable (${reason}): fault sequences and schedules drawn from this replica's own cursors until it answers again`,
      up: 'Redis answers again: fault sequences and schedules are shared across replicas again',
    });
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
}
