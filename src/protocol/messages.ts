/** The messages between the main thread and the front-end threads, as one typed protocol. */
import type { RecordedInteraction, ReplayEntry } from '../core/recording/recording-file.js';
import type { LimitSpec } from '../core/limits/rate-limits.js';
import type { RuntimeConfig } from '../core/config/runtime-config.js';
import type { StatsSnapshot } from './stats.js';

/** Front-end → main. */
export type FrontEndMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'listen-failed' }
  /** The extension (EXTENSION_PATH) failed to load or initialise: the start stops with this message. */
  | { readonly type: 'extension-failed'; readonly message: string }
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
  /** Answers `flush`: everything this thread sent before has arrived. */
  | { readonly type: 'flushed'; readonly id: number };

/** Main → front-end. */
export type MainMessage =
  | { readonly type: 'shutdown' }
  | { readonly type: 'replay-entry'; readonly entry: ReplayEntry }
  | { readonly type: 'saved'; readonly id: number; readonly files: number; readonly error?: string }
  | { readonly type: 'config'; readonly version: number; readonly config: RuntimeConfig; readonly limits: Readonly<Record<string, LimitSpec>> }
  | { readonly type: 'config-patched'; readonly id: number; readonly error?: string }
  | { readonly type: 'stats'; readonly id: number; readonly reset: boolean }
  | { readonly type: 'flush'; readonly id: number }
  | { readonly type: 'stats-result'; readonly id: number; readonly json: string };
