/**
 * Main's answers to the front-end threads' messages, as one table the compiler checks for
 * completeness (`Handlers<ThreadMessage>`): a new message type without a handler does not compile.
 * Main owns the runtime configuration and the rate-limit windows; the questions it puts to every
 * thread (has it applied a configuration, its statistics, has it sent every recording) go
 * through `Asks`, which settles when every thread has answered, one has exited, or time is up.
 */
import { applyConfigPatch, ConfigPatchError, keepFaultCursors, type RuntimeConfig } from '../core/config/runtime-config.js';
import { randomId } from '../core/ids.js';
import { limitSpecsAfterChange, limitSpecsForWindows, windowIdsAfterChange, type LimitSpecs, type WindowIds } from '../core/limits/windows.js';
import { entryOf, type ReplayEntry } from '../core/recording/recording-file.js';
import { Asks } from '../protocol/ask.js';
import type { Handlers, MainMessage, ThreadMessage } from '../protocol/messages.js';
import type { MetricsSnapshot } from '../protocol/metrics.js';
import { statsJson, type StatsSnapshot } from '../protocol/stats.js';
import type { Log } from '../log.js';
import type { Recorder } from './recordings.js';

/** Who sent a message: its thread (`Worker.threadId`) and the way back to it. */
export interface Sender {
  readonly thread: number;
  readonly reply: (message: MainMessage) => void;
}

/** What the handlers need of the cluster. */
export interface Threads {
  /** The front-end threads running now (their `threadId`s): who is asked. */
  readonly ids: () => Iterable<number>;
  readonly broadcast: (message: MainMessage) => void;
  readonly describe: (thread: number) => string;
  /** The Prometheus text: the threads' snapshots merged with main's own metrics (process/metrics.ts). */
  readonly renderMetrics: (snapshots: readonly MetricsSnapshot[]) => Promise<string>;
}

/** What main keeps between messages. */
export interface MainState {
  runtime: RuntimeConfig;
  limits: LimitSpecs;
  /** Record mode. */
  readonly recorder: Recorder | undefined;
  /** Record and replay modes: every interaction known, for threads started later. */
  readonly replayEntries: ReplayEntry[];
  /** Several replicas on Redis: the shared configuration (src/state/replicas.ts); undefined when embedded. */
  readonly shared?: SharedState;
}

/** A replica's view of the configuration every replica shares. */
export interface SharedConfig {
  readonly version: number;
  readonly runtime: RuntimeConfig;
  readonly windows: WindowIds;
}

/** What the handlers need of the shared store (src/state/replicas.ts `ReplicaState`). */
export interface SharedStore {
  change(change: (current: SharedConfig) => Omit<SharedConfig, 'version'>, ifNone: () => Omit<SharedConfig, 'version'>): Promise<SharedConfig>;
  confirm(version: number): Promise<void>;
  confirmedEverywhere(version: number): Promise<boolean>;
  seen(version: number): void;
  describe(): Record<string, unknown>;
}

export interface SharedState {
  readonly store: SharedStore;
  readonly prefix: string;
  /** The shared version this replica's threads were last given. */
  version: number;
  windows: WindowIds;
}

export const newWindowId = (): string => randomId('', 10);

/**
 * How long main waits for every thread's answer. A thread answers within one turn of its event
 * loop; this only bounds a thread that is stuck or still starting.
 */
export const THREAD_ANSWER_TIMEOUT_MS = 10_000;

export interface MainHandlers {
  readonly handlers: Handlers<ThreadMessage, Sender>;
  /** A front-end thread exited: every question still waiting for it fails now. */
  readonly threadGone: (thread: number) => void;
  /** Several replicas: another replica changed the shared configuration. */
  readonly sharedChanged: (config: SharedConfig) => void;
}

export function mainHandlers(state: MainState, threads: Threads, log: Log, timeoutMs = THREAD_ANSWER_TIMEOUT_MS): MainHandlers {
  const applied = new Asks<void>(timeoutMs, threads.describe);
  const snapshots = new Asks<StatsSnapshot>(timeoutMs, threads.describe);
  const flushed = new Asks<void>(timeoutMs, threads.describe);
  const metrics = new Asks<MetricsSnapshot>(timeoutMs, threads.describe);

  /**
   * Gives this replica's threads a shared configuration version; `done` when they all run it
   * (then this replica confirms it in the store, which is what a PATCH elsewhere waits for).
   */
  const applyShared = (shared: SharedState, config: SharedConfig, done?: (ok: boolean, reason: string) => void): void => {
    shared.store.seen(config.version);
    if (config.version <= shared.version) return done?.(true, ''); // a newer one, built on this, is already running
    state.limits = limitSpecsForWindows(config.runtime.deployments, state.limits, config.windows, shared.prefix);
    // The same fault configuration (a patch of something else): this replica's local cursors go on.
    state.runtime = keepFaultCursors(config.runtime, state.runtime);
    shared.version = config.version;
    shared.windows = config.windows;
    const version = applied.ask(threads.ids(), (outcome) => {
      if (outcome.ok) void shared.store.confirm(config.version);
      done?.(outcome.ok, outcome.ok ? '' : outcome.reason);
    });
    threads.broadcast({ type: 'config', version, config: state.runtime, limits: state.limits });
  };

  /** PATCH with several replicas: compare-and-set in the store, then every live replica runs it before the answer (or 2 s). */
  const sharedPatch = (shared: SharedState, message: Extract<ThreadMessage, { type: 'config-patch' }>, reply: (m: MainMessage) => void): void => {
    shared.store
      .change(
        (current) => {
          const next = applyConfigPatch(current.runtime, message.patch);
          return { runtime: next, windows: windowIdsAfterChange(current.runtime.deployments, current.windows, next.deployments, newWindowId) };
        },
        () => ({ runtime: state.runtime, windows: shared.windows }),
      )
      .then(
        (config) =>
          applyShared(shared, config, (ok, reason) => {
            if (!ok) return reply({ type: 'config-patched', id: message.id, unavailable: `the change is kept, but not every thread confirmed it: ${reason}` });
            void shared.store.confirmedEverywhere(config.version).then((everywhere) => {
              if (!everywhere) log.warn(`configuration version ${config.version}: not every live replica confirmed it within 2 s; they apply it by their next poll`);
              reply({ type: 'config-patched', id: message.id });
            });
          }),
        (err: unknown) =>
          err instanceof ConfigPatchError
            ? reply({ type: 'config-patched', id: message.id, error: err.message })
            : reply({ type: 'config-patched', id: message.id, unavailable: `the shared configuration (Redis) could not be changed, nothing changed: ${(err as Error)?.message ?? String(err)}` }),
      );
  };

  const handlers = {
    recorded: (message) => {
      if (!state.recorder) {
        log.warn(`a front-end thread sent a recording for ${message.file} outside record mode; dropped`);
        return;
      }
      try {
        state.recorder.add(message.file, message.interaction);
        // Every thread replays what any thread recorded, a restarted one included.
        const entry = entryOf(message.interaction, message.file, message.file);
        state.replayEntries.push(entry);
        threads.broadcast({ type: 'replay-entry', entry });
      } catch (err) {
        log.error(`could not save a recording to ${message.file}: ${(err as Error).message}`);
      }
    },
    'config-patch': (message, { reply }) => {
      if (state.shared) return sharedPatch(state.shared, message, reply);
      let next: RuntimeConfig;
      try {
        next = applyConfigPatch(state.runtime, message.patch);
      } catch (err) {
        return reply({ type: 'config-patched', id: message.id, error: (err as Error).message });
      }
      state.limits = limitSpecsAfterChange(state.runtime.deployments, state.limits, next.deployments);
      state.runtime = next;
      // Answer the PATCH only once every thread has the new version: the next request, on any
      // thread, sees the change. A thread that exits first fails the PATCH (503); the change is
      // kept, and the thread started in its place starts with it.
      const version = applied.ask(threads.ids(), (outcome) =>
        reply(
          outcome.ok
            ? { type: 'config-patched', id: message.id }
            : { type: 'config-patched', id: message.id, unavailable: `the change is kept, but not every thread confirmed it: ${outcome.reason}` },
        ),
      );
      threads.broadcast({ type: 'config', version, config: state.runtime, limits: state.limits });
    },
    'config-applied': (message, { thread }) => applied.answer(message.version, thread, undefined),
    'stats-request': (message, { reply }) => {
      const id = snapshots.ask(threads.ids(), (outcome) =>
        reply(
          outcome.ok
            ? { type: 'stats-result', id: message.id, json: withSharedState(statsJson(outcome.answers)) }
            : { type: 'stats-result', id: message.id, json: '', unavailable: `statistics incomplete: ${outcome.reason}` },
        ),
      );
      threads.broadcast({ type: 'stats', id, reset: message.reset });
    },
    'stats-snapshot': (message, { thread }) => snapshots.answer(message.id, thread, message.snapshot),
    'metrics-request': (message, { reply }) => {
      const unavailable = (reason: string): void => reply({ type: 'metrics-result', id: message.id, text: '', unavailable: `metrics incomplete: ${reason}` });
      const id = metrics.ask(threads.ids(), (outcome) => {
        if (!outcome.ok) return unavailable(outcome.reason);
        threads.renderMetrics(outcome.answers).then(
          (text) => reply({ type: 'metrics-result', id: message.id, text }),
          (err: Error) => unavailable(`rendering failed: ${err?.message ?? String(err)}`),
        );
      });
      threads.broadcast({ type: 'metrics', id });
    },
    'metrics-snapshot': (message, { thread }) => metrics.answer(message.id, thread, message.snapshot),
    save: (message, { reply }) => {
      // A recording made on another thread may still be on its way here (the threads' channels
      // are not ordered with each other): every thread answers a flush after whatever it sent.
      const id = flushed.ask(threads.ids(), (outcome) => {
        if (!outcome.ok) return reply({ type: 'saved', id: message.id, files: 0, unavailable: `recordings not saved: ${outcome.reason}` });
        try {
          reply({ type: 'saved', id: message.id, files: state.recorder?.saveAll() ?? 0 });
        } catch (err) {
          reply({ type: 'saved', id: message.id, files: 0, error: (err as Error).message });
        }
      });
      threads.broadcast({ type: 'flush', id });
    },
    flushed: (message, { thread }) => flushed.answer(message.id, thread, undefined),
  } satisfies Handlers<ThreadMessage, Sender>;

  /** /++/stats names the state backend and, on Redis, how this replica sees it (exported as metrics). */
  function withSharedState(json: string): string {
    const sharedState = state.shared ? { ...state.shared.store.describe(), config_version: state.shared.version } : { backend: 'embedded' };
    return JSON.stringify({ ...(JSON.parse(json) as object), shared_state: sharedState });
  }

  return {
    handlers,
    sharedChanged: (config) => {
      if (state.shared) applyShared(state.shared, config);
    },
    threadGone: (thread) => {
      applied.gone(thread);
      snapshots.gone(thread);
      flushed.gone(thread);
      metrics.gone(thread);
    },
  };
}
