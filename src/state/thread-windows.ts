/**
 * A front-end thread's side of the shared rate-limit windows (core/limits/shared-window.ts), on
 * the thread's one Redis connection (redis.ts `ThreadConnection`; commands issued in one tick are
 * pipelined): the script run under a timeout, and a breaker: after an error or a timeout the store counts as down for a second —
 * every decision meanwhile is the fallback's, with no round trip — then the next request probes.
 */
import { LIMIT_BATCH_SCRIPT, admissionOfReply, type RemoteWindows, type StoreFailureMode, type WindowRule } from '../core/limits/shared-window.js';
import type { Admission } from '../core/limits/sliding-window.js';
import { STATUS, runScript, sha1, within, type Breaker, type Redis, type ThreadConnection } from './redis.js';

export interface SharedWindowsOptions {
  readonly mode: StoreFailureMode;
  readonly timeoutMs: number;
  /** The replica's status (redis.ts `STATUS`), written by main. */
  readonly status: SharedArrayBuffer;
}

const HASH = sha1(LIMIT_BATCH_SCRIPT);

export class RedisWindows implements RemoteWindows {
  readonly mode: StoreFailureMode;
  readonly #client: Redis;
  readonly #status: Int32Array;
  readonly #timeoutMs: number;
  readonly #breaker: Breaker;

  constructor(connection: ThreadConnection, options: SharedWindowsOptions, log: { warn(message: string): void; info(message: string): void }) {
    this.mode = options.mode;
    this.#timeoutMs = options.timeoutMs;
    this.#status = new Int32Array(options.status);
    this.#client = connection.client;
    this.#breaker = connection.breaker(log, {
      down: (reason) => `Redis unavailable (${reason}): rate limits decided locally (SIMULATOR_LIMITS_ON_STORE_ERROR=${this.mode}) until it answers again`,
      up: 'Redis answers again: rate limits are exact across replicas again',
    });
  }

  down(): boolean {
    return this.#breaker.down();
  }

  replicas(): number {
    return Atomics.load(this.#status, STATUS.replicas);
  }

  degraded(): void {
    Atomics.add(this.#status, STATUS.degraded, 1);
  }

  /**
   * Queued per window until the event loop's check phase, then sent as one batch script per
   * window: the requests one turn of the loop brought are decided in one round trip and one
   * script run (LIMIT_BATCH_SCRIPT), in arrival order — what admitted requests cost with Redis
   * was mostly per-command client and script overhead (README "Scaling out", cost).
   */
  admit(key: string, cost: number, rule: WindowRule): Promise<Admission> {
    return new Promise((resolve, reject) => {
      let batch = this.#pending.get(key);
      if (!batch) this.#pending.set(key, (batch = { rule, costs: [], settle: [] }));
      batch.costs.push(String(cost));
      batch.settle.push({ resolve, reject });
      if (this.#flushing === undefined) this.#flushing = setImmediate(this.#flush);
    });
  }

  readonly #pending = new Map<string, { rule: WindowRule; costs: string[]; settle: { resolve: (a: Admission) => void; reject: (err: unknown) => void }[] }>();
  #flushing: NodeJS.Immediate | undefined;

  readonly #flush = (): void => {
    this.#flushing = undefined;
    for (const [key, { rule, costs, settle }] of this.#pending) {
      const run = runScript(this.#client, LIMIT_BATCH_SCRIPT, HASH, [`${key}:log`, `${key}:agg`], [String(rule.tokens), String(rule.requests), String(rule.tokenWindowMs), String(rule.requestWindowMs), '', ...costs]);
      within(run, this.#timeoutMs, 'rate-limit script').then(
        (reply) => {
          this.#breaker.answered();
          const flat = reply as unknown[];
          for (let i = 0; i < settle.length; i++) settle[i]!.resolve(admissionOfReply(flat.slice(i * 5, i * 5 + 5)));
        },
        (err: unknown) => {
          this.#breaker.failed(err as Error);
          for (const s of settle) s.reject(err);
        },
      );
    }
    this.#pending.clear();
  };
}
