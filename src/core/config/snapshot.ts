/**
 * The configuration a request is answered under: the runtime settings (latency, the agent
 * policy), the deployments and their rate limiters, and the generators' options made from them.
 * Immutable: a `PATCH /++/config` makes a new snapshot, and a request keeps the one that was
 * current when it arrived, so its limit check and its charge use the same window, and its tool
 * behaviour one policy, even when a patch lands in between (a pool round trip, a latency wait).
 */
import { DeploymentRegistry, deploymentsFrom } from './deployments.js';
import type { RuntimeConfig } from './runtime-config.js';
import { DeploymentLimiter, type LimitSpec } from '../limits/rate-limits.js';
import type { RemoteWindows } from '../limits/shared-window.js';
import type { FaultConfig } from '../faults/config.js';
import { SharedSequences, type Sequences } from '../faults/select.js';

/** The faults a request may get, with the sequences their scopes draw from. */
export interface FaultPlan {
  readonly config: FaultConfig;
  readonly sequences: Sequences;
}
import { DEFAULT_GENERATE_OPTIONS, type GenerateOptions } from '../generation/options.js';

export interface ConfigSnapshot {
  readonly runtime: RuntimeConfig;
  readonly deployments: DeploymentRegistry;
  /** Rate limiters by deployment name, over windows shared by every thread. */
  readonly limiters: ReadonlyMap<string, DeploymentLimiter>;
  /** Null when no fault is configured anywhere: the request path's only fault test. */
  readonly faults: FaultPlan | null;
  /** `base` (the settings' part: answer length) with the runtime's agent policy: built once per snapshot, not per request. */
  readonly generateOptions: GenerateOptions;
}

/** Where a fault configuration's scopes keep their cursors: shared memory, or a shared store (Redis). */
export type SequencesOf = (faults: FaultConfig) => Sequences;
const inSharedMemory: SequencesOf = (faults) => new SharedSequences(faults.cursors);

/**
 * `remote`: the shared store (Redis) the limiters charge, for specs that name a key there;
 * `sequences`: where the fault scopes' cursors live (the process's shared memory unless given).
 */
export function configSnapshot(
  runtime: RuntimeConfig,
  limits: Readonly<Record<string, LimitSpec>>,
  base: GenerateOptions = DEFAULT_GENERATE_OPTIONS,
  remote?: RemoteWindows,
  sequences: SequencesOf = inSharedMemory,
): ConfigSnapshot {
  return Object.freeze({
    runtime,
    deployments: new DeploymentRegistry(deploymentsFrom(runtime.deployments), runtime.allowUndefinedDeployments),
    limiters: new Map(Object.entries(limits).map(([name, spec]) => [name, new DeploymentLimiter(spec, remote)])),
    faults: runtime.faults ? { config: runtime.faults, sequences: sequences(runtime.faults) } : null,
    generateOptions: runtime.agent ? Object.freeze({ ...base, agent: runtime.agent }) : base,
  });
}
