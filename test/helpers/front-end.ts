/**
 * A front-end thread's context for in-process tests: real settings (parsed from an env record),
 * real deployments and rate windows, the real scheduler on a manual clock, a log that keeps what
 * it was told. Requests go in through the fake uWS (fake-uws.ts).
 */
import { defaultDeployments, deploymentSettings, type Deployment } from '../../src/core/config/deployments.js';
import type { RuntimeConfig } from '../../src/core/config/runtime-config.js';
import { parseSettings } from '../../src/core/config/settings.js';
import { configSnapshot, type ConfigSnapshot } from '../../src/core/config/snapshot.js';
import { limitSpecFor, type LimitSpec } from '../../src/core/limits/rate-limits.js';
import type { RecordedInteraction, ReplayEntry } from '../../src/core/recording/recording-file.js';
import { createThreadContext, generateBase, type ThreadContext } from '../../src/front-end/context.js';
import type { GenerateOptions } from '../../src/core/generation/options.js';
import type { PoolClient } from '../../src/front-end/pool-client.js';
import type { Log } from '../../src/log.js';
import { ManualClock } from './fake-uws.js';

export const TEST_KEY = 'in-process-test-key';

/** A snapshot of these deployments, each rate-limited one with fresh (unshared) windows. */
export function snapshotOf(deployments: ReadonlyMap<string, Deployment>, base: Omit<RuntimeConfig, 'deployments'>, options?: GenerateOptions): ConfigSnapshot {
  const limits: Record<string, LimitSpec> = {};
  for (const [name, d] of deployments) {
    const spec = limitSpecFor(d, false);
    if (spec) limits[name] = spec;
  }
  return configSnapshot({ ...base, deployments: deploymentSettings(deployments) }, limits, options);
}

export interface TestThread {
  readonly ctx: ThreadContext;
  readonly clock: ManualClock;
  /** Warnings and errors the thread logged. */
  readonly logged: string[];
  readonly recorded: { file: string; interaction: RecordedInteraction }[];
}

export function testThread(options: { env?: Record<string, string>; deployments?: ReadonlyMap<string, Deployment>; pool?: PoolClient; replayEntries?: readonly ReplayEntry[] } = {}): TestThread {
  const settings = parseSettings({ SIMULATOR_API_KEY: TEST_KEY, ...options.env }, 1);
  const clock = new ManualClock();
  const logged: string[] = [];
  const log: Log = { debug: () => {}, info: () => {}, warn: (m) => logged.push(m), error: (m) => logged.push(m) };
  const recorded: TestThread['recorded'] = [];
  const ctx = createThreadContext({
    settings,
    apiKey: TEST_KEY,
    log,
    pool: options.pool,
    config: snapshotOf(options.deployments ?? defaultDeployments(), { mode: settings.mode, latency: settings.latency, allowUndefinedDeployments: settings.allowUndefinedDeployments }, generateBase(settings)),
    replayEntries: options.replayEntries ?? [],
    windowPort: undefined,
    post: (file, interaction) => recorded.push({ file, interaction }),
    clock,
  });
  return { ctx, clock, logged, recorded };
}

/** No simulated latency for any operation. */
export const NO_LATENCY: Record<string, string> = Object.fromEntries(
  ['EMBEDDINGS', 'COMPLETIONS', 'CHAT_COMPLETIONS', 'TRANSLATIONS', 'IMAGES'].flatMap((op) => [
    [`LATENCY_OPENAI_${op}_MEAN`, '0'],
    [`LATENCY_OPENAI_${op}_STD_DEV`, '0'],
  ]),
);
