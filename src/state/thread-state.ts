/**
 * What a front-end thread keeps in Redis when SIMULATOR_REDIS_URL is set, on the thread's one
 * connection: the rate-limit windows, the fault scopes' cursors and the stored responses.
 *
 * front-end/thread.ts imports this module with `import()` only when Redis is configured, so a
 * thread of an embedded simulator never loads node-redis: its modules cost ~5 MB of resident
 * memory per thread (docs/architecture.md, "Memory").
 */
import type { FaultConfig } from '../core/faults/config.js';
import type { Sequences } from '../core/faults/select.js';
import type { StoreFailureMode } from '../core/limits/shared-window.js';
import type { ResponseStore } from '../core/responses/store.js';
import { RedisFaultSequences } from './fault-sequences.js';
import { ThreadConnection } from './redis.js';
import { RedisResponseStore } from './responses.js';
import { RedisWindows } from './thread-windows.js';

export interface ThreadStateOptions {
  readonly url: string;
  readonly mode: StoreFailureMode;
  readonly timeoutMs: number;
  /** SIMULATOR_REDIS_PREFIX: every key starts with it. */
  readonly prefix: string;
  /** The replica's status (redis.ts `STATUS`), written by main. */
  readonly status: SharedArrayBuffer;
  /** SIMULATOR_RESPONSES_STORE_BYTES, for every replica together. */
  readonly responsesBudgetBytes: number;
}

export interface ThreadState {
  readonly windows: RedisWindows;
  readonly responses: ResponseStore;
  /** The sequences of one fault configuration, shared across replicas. */
  readonly sequencesOf: (faults: FaultConfig) => Sequences;
  /** Connects, waiting at most `ms` (decisions are local until it does). */
  connect(ms: number): Promise<void>;
  close(): Promise<void>;
}

export function threadState(options: ThreadStateOptions, log: { warn(message: string): void; info(message: string): void }): ThreadState {
  const connection = new ThreadConnection(options.url);
  const windows = new RedisWindows(connection, options, log);
  const sequences = new RedisFaultSequences(connection, options, log);
  return {
    windows,
    responses: new RedisResponseStore(connection.client, options.prefix, options.responsesBudgetBytes, options.timeoutMs),
    sequencesOf: (faults) => sequences.of(faults),
    connect: (ms) => connection.connect(ms),
    close: () => connection.close(),
  };
}
