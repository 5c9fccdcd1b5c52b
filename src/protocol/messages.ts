/**
 * Everything the main thread and the front-end threads say to each other, as one typed protocol:
 * what a thread is started with (`FrontEndData`), its start-up reports, its questions and answers,
 * and main's messages. The handler tables (`Handlers<M>`) on both sides are checked by the
 * compiler: a message type without a handler does not compile, so a new message cannot fall
 * through to someone else's code.
 */
import type { MessagePort } from 'node:worker_threads';
import type { RecordedInteraction, ReplayEntry } from '../core/recording/recording-file.js';
import type { LimitSpec } from '../core/limits/rate-limits.js';
import type { RuntimeConfig } from '../core/config/runtime-config.js';
import type { Settings } from '../core/config/settings.js';
import type { RankTables } from '../core/tokens/tokenizer.js';
import type { LoremTables } from '../core/generation/lorem.js';
import type { StoredEntry } from '../core/responses/store.js';
import type { MetricsSnapshot } from './metrics.js';
import type { StatsSnapshot } from './stats.js';

/** EXTENSION_PATH's module, prepared (TypeScript bundled) by main; each thread imports it. */
export interface PreparedExtension {
  /** Its file or folder name, as errors and the log show it. */
  readonly name: string;
  /** The file EXTENSION_PATH resolved to (a folder's index file). */
  readonly source: string;
  /** What the threads import (file URL). */
  readonly url: string;
}

/** What the cluster starts every front-end thread with (its `workerData`). */
export interface FrontEndData {
  readonly index: number;
  /** The runtime configuration in force when the thread starts (a restarted thread gets the latest). */
  readonly runtime: RuntimeConfig;
  /** Window memory per rate-limited deployment, shared with every thread. */
  readonly limits: Readonly<Record<string, LimitSpec>>;
  /** Record and replay modes: every recording found at start. */
  readonly replayEntries: readonly ReplayEntry[];
  readonly settings: Settings;
  readonly apiKey: string;
  readonly port: number;
  readonly poolPort: MessagePort | undefined;
  /** The rank tables in shared memory, built once by main (one copy for every thread). */
  readonly rankTables: RankTables | undefined;
  /** The lorem corpora in shared memory, built once per process from those tables. */
  readonly lorem: LoremTables | undefined;
  /** EXTENSION_PATH's module, prepared (TypeScript bundled) by main. */
  readonly extension: PreparedExtension | undefined;
  /** Extensions: asks main for rate-limit windows shared by every thread (shared-windows.ts). */
  readonly windowPort: MessagePort | undefined;
  /**
   * The embedded response store (front-end/responses-store.ts): a channel to each other front-end
   * thread, by index (this thread's own index and one that is restarting: none; a restarted
   * thread's comes as `store-peer`). Empty with the store in Redis.
   */
  readonly storePeers: readonly (MessagePort | undefined)[];
  /** Several replicas on Redis (SIMULATOR_REDIS_URL): each thread opens its own connection. */
  readonly shared?: SharedWindowsData | undefined;
}

/** What a front-end thread needs to charge rate limits in Redis (src/state/thread-windows.ts). */
export interface SharedWindowsData {
  readonly url: string;
  readonly mode: 'local' | 'open' | 'closed';
  readonly timeoutMs: number;
  /** The keys' prefix (SIMULATOR_REDIS_PREFIX): the fault sequences' keys start with it. */
  readonly prefix: string;
  /** The replica's status, written by main: live replicas, store down, decisions without it. */
  readonly status: SharedArrayBuffer;
}

/** Front-end → main while a thread starts: the cluster's business. */
export type StartupMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'listen-failed' }
  /** The extension (EXTENSION_PATH) failed to load or initialise: the start stops with this message. */
  | { readonly type: 'extension-failed'; readonly message: string };

/** Front-end → main once running: main's business (process/handlers.ts). */
export type ThreadMessage =
  /** Record mode: a new interaction to save (and to share with the other threads). */
  | { readonly type: 'recorded'; readonly file: string; readonly interaction: RecordedInteraction }
  /** `POST /++/save-recordings`: save everything pending, answer with `saved`. */
  | { readonly type: 'save'; readonly id: number }
  /** `PATCH /++/config`: main validates, applies, and has every thread apply it before answering. */
  | { readonly type: 'config-patch'; readonly id: number; readonly patch: unknown }
  /** A thread has applied configuration `version`. */
  | { readonly type: 'config-applied'; readonly version: number }
  /** `GET /++/stats`: main gathers every thread's snapshot and answers `stats-result`. */
  | { readonly type: 'stats-request'; readonly id: number; readonly reset: boolean }
  | { readonly type: 'stats-snapshot'; readonly id: number; readonly snapshot: StatsSnapshot }
  /** `GET /metrics`: main gathers every thread's metrics, adds its own, answers `metrics-result`. */
  | { readonly type: 'metrics-request'; readonly id: number }
  | { readonly type: 'metrics-snapshot'; readonly id: number; readonly snapshot: MetricsSnapshot }
  /** Answers `flush`: everything this thread sent before has arrived. */
  | { readonly type: 'flushed'; readonly id: number };

/** One operation on the records another front-end thread owns (front-end/responses-store.ts). */
export type StoreOp =
  | { readonly kind: 'get'; readonly key: string }
  | { readonly kind: 'put'; readonly entry: StoredEntry }
  | { readonly kind: 'delete'; readonly key: string };

/** A store operation's result: the record's entry (get), whether it was kept (put), whether one was there (delete). */
export type StoreResult = StoredEntry | boolean | undefined;

/** Between two front-end threads, on the channel the cluster set between them: a question about a record the other owns, and its answer. */
export type StorePeerMessage =
  | { readonly type: 'ask'; readonly id: number; readonly op: StoreOp }
  | { readonly type: 'answer'; readonly id: number; readonly result: StoreResult };

/** Front-end → main. */
export type FrontEndMessage = StartupMessage | ThreadMessage;

/**
 * On an answer to a thread's question: main could not get every thread's part (one exited, or
 * did not answer in time). The asking request answers 503 with this reason.
 */
interface MaybeUnavailable {
  readonly unavailable?: string;
}

/** Main → front-end. */
export type MainMessage =
  | { readonly type: 'shutdown' }
  | { readonly type: 'replay-entry'; readonly entry: ReplayEntry }
  | ({ readonly type: 'saved'; readonly id: number; readonly files: number; readonly error?: string } & MaybeUnavailable)
  | { readonly type: 'config'; readonly version: number; readonly config: RuntimeConfig; readonly limits: Readonly<Record<string, LimitSpec>> }
  | ({ readonly type: 'config-patched'; readonly id: number; readonly error?: string } & MaybeUnavailable)
  | { readonly type: 'stats'; readonly id: number; readonly reset: boolean }
  | { readonly type: 'flush'; readonly id: number }
  /** Front-end thread `index` was restarted: the channel to it, for the stored responses it will own. */
  | { readonly type: 'store-peer'; readonly index: number; readonly port: MessagePort }
  | { readonly type: 'metrics'; readonly id: number }
  /** The Prometheus text exposition, merged over every thread. */
  | ({ readonly type: 'metrics-result'; readonly id: number; readonly text: string } & MaybeUnavailable)
  | ({ readonly type: 'stats-result'; readonly id: number; readonly json: string } & MaybeUnavailable);

/**
 * A handler for every message type of `M`, each given its own variant: a table written with
 * `satisfies Handlers<…>` that misses a type, or handles one that does not exist, does not compile.
 */
export type Handlers<M extends { readonly type: string }, C = void> = {
  readonly [K in M['type']]: (message: Extract<M, { readonly type: K }>, context: C) => void;
};

/** Runs the table's handler for `message`. */
export function dispatch<M extends { readonly type: string }, C>(handlers: Handlers<M, C>, message: M, context: C): void {
  (handlers[message.type as M['type']] as (message: M, context: C) => void)(message, context);
}
