/**
 * Everything one front-end thread keeps for its lifetime, in one record built in one place
 * (`createThreadContext`, called by thread.ts): settings, auth, log, the scheduler, the pool, the
 * stats, the replay index, the extension's stage slots — and the configuration snapshot, the one
 * field that changes, replaced whole by a `config` message. Requests read the snapshot they took
 * on arrival (`Exchange.config`), never this field, so a patch cannot reach a request half-way.
 *
 * The stage slots are declared here, not in extensions/, so the pipeline reads them without
 * importing the extension code: they are `null` when no extension (or no such hook) is loaded,
 * and the plain path tests nothing else.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ConfigSnapshot } from '../core/config/snapshot.js';
import type { Settings } from '../core/config/settings.js';
import type { GenerateOptions } from '../core/generation/index.js';
import type { Pace } from '../core/latency.js';
import type { RemoteWindows } from '../core/limits/shared-window.js';
import type { Operation } from '../core/models.js';
import type { RecordedInteraction, ReplayEntry } from '../core/recording/recording-file.js';
import { entryOf } from '../core/recording/recording-file.js';
import { Router } from '../core/wire/router.js';
import { routes, type Route } from '../core/wire/routes.js';
import type { Log } from '../log.js';
import { LocalResponseStore, MemoryResponseStore, type ResponseStore } from '../core/responses/store.js';
import { ThreadMetrics } from '../protocol/metrics.js';
import { ThreadStats } from '../protocol/stats.js';
import { ApiKeyAuth } from './http/auth.js';
import type { Exchange, Meter } from './http/exchange.js';
import { threadMeter } from './metering.js';
import type { PoolClient } from './pool-client.js';
import { Scheduler, type Clock } from './scheduler.js';

/** The extension's slots in the pipeline; each `null` when nothing fills it. */
export interface Stages {
  /** Latency hooks over a built-in answer's timing (a stream's events keep their proportions). */
  readonly latency: ((ex: Exchange, timing: Pace, operation: Operation | undefined, streamed: boolean) => Pace) | null;
}

export const NO_STAGES: Stages = Object.freeze({ latency: null });

export interface ThreadContext {
  readonly settings: Settings;
  readonly apiKey: string;
  readonly auth: ApiKeyAuth;
  readonly log: Log;
  /** The JS router over the route table: what uWS' native router did not match. */
  readonly router: Router<Route>;
  /** The thread's one timer structure for simulated latency. */
  readonly scheduler: Scheduler;
  readonly pool: PoolClient | undefined;
  readonly stats: ThreadStats;
  /** The Prometheus metrics this thread records; undefined when SIMULATOR_METRICS=false. */
  readonly metrics: ThreadMetrics | undefined;
  /** Measures every exchange of the API routes: `/++/stats`' overhead and the metrics. */
  readonly meter: Meter;
  /** Record and replay modes: recorded answers by key, loaded at start, grown by record mode. */
  readonly index: Map<string, ReplayEntry>;
  /** Record mode: indexes a new interaction here and hands it to main, which saves it. */
  readonly recorded: (file: string, interaction: RecordedInteraction) => void;
  /** Extensions: asks main for rate-limit windows shared by every thread. */
  readonly windowPort: MessagePort | undefined;
  /** The Responses API's stored responses, seen by every thread (this thread's part of the embedded store, or a shared one). */
  readonly responses: ResponseStore;
  /** Several replicas on Redis: the thread's shared windows (extension limiters charge them too). */
  readonly remote: RemoteWindows | undefined;
  /** Replaced (one assignment) by every `config` message; requests keep theirs. */
  config: ConfigSnapshot;
  /** Set once, when the extension is loaded, before any route is registered. */
  stages: Stages;
}

export interface ThreadParts {
  readonly settings: Settings;
  readonly apiKey: string;
  readonly log: Log;
  readonly pool: PoolClient | undefined;
  readonly config: ConfigSnapshot;
  readonly replayEntries: readonly ReplayEntry[];
  readonly windowPort: MessagePort | undefined;
  /** Tells main about a new recording. */
  readonly post: (file: string, interaction: RecordedInteraction) => void;
  /** Tests drive time themselves (a manual clock). */
  readonly clock?: Clock;
  /** Where responses are stored; a store in this thread's memory when not given (tests). */
  readonly responses?: ResponseStore;
  readonly remote?: RemoteWindows;
  /** The thread's index (0 …): its label in the metrics. */
  readonly thread?: number;
}

/**
 * The settings' part of the generators' options, under every snapshot (`configSnapshot`'s `base`):
 * the answer length, and the agent policy a runtime configuration without one falls back to.
 */
export function generateBase(settings: Settings): GenerateOptions {
  return Object.freeze({ answerLength: settings.answerLength, agent: settings.agent });
}

export function createThreadContext(parts: ThreadParts): ThreadContext {
  const { settings, log } = parts;
  const stats = new ThreadStats();
  const metrics = settings.metrics ? new ThreadMetrics(parts.thread) : undefined;
  const index = new Map<string, ReplayEntry>(parts.replayEntries.map((e) => [e.key, e]));
  return {
    settings,
    apiKey: parts.apiKey,
    auth: new ApiKeyAuth(parts.apiKey, settings.entra),
    log,
    router: new Router(routes),
    // A task that throws is the exchange's failure (pipeline tasks are guarded); what reaches
    // this is a bug outside any request.
    scheduler: new Scheduler((err) => log.error(`scheduled task failed: ${(err as Error)?.stack ?? String(err)}`), (micros) => stats.recordLateness(micros), parts.clock),
    pool: parts.pool,
    stats,
    metrics,
    meter: threadMeter(stats, metrics),
    index,
    recorded: (file, interaction) => {
      const entry = entryOf(interaction, `recorded ${file}`, file);
      index.set(entry.key, entry);
      parts.post(file, interaction);
    },
    windowPort: parts.windowPort,
    responses: parts.responses ?? new LocalResponseStore(new MemoryResponseStore(settings.responses.storeBytes)),
    remote: parts.remote,
    config: parts.config,
    stages: NO_STAGES,
  };
}
