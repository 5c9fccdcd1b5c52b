/**
 * Which rate-limit windows a deployment set has, and which of them survive a configuration change.
 * Main owns the windows (shared memory every thread charges); `PATCH /++/config` gives it a new
 * deployment set, and this decides, as data in and data out, what each deployment keeps.
 */
import { deploymentsFrom, type Deployment, type DeploymentSettings } from '../config/deployments.js';
import { limitSpecFor, type LimitSpec } from './rate-limits.js';

export type LimitSpecs = Readonly<Record<string, LimitSpec>>;

/** A new window for every rate-limited deployment. */
export function limitSpecsFor(deployments: Iterable<Deployment>): Record<string, LimitSpec> {
  const limits: Record<string, LimitSpec> = {};
  for (const deployment of deployments) {
    const spec = limitSpecFor(deployment);
    if (spec) limits[deployment.name] = spec;
  }
  return limits;
}

/**
 * The windows after a change from `before` to `next`: a deployment keeps its window (and what it
 * has spent) while its model and limits stay the same, so changing latency or anything else never
 * resets a budget; a new deployment, or one whose model or limits changed, starts a fresh window;
 * a deployment that is gone, or has no limit any more, has none. `make` allocates a window (the
 * default: shared memory sized for the deployment's limit).
 */
export function limitSpecsAfterChange(
  before: Readonly<Record<string, DeploymentSettings>>,
  beforeLimits: LimitSpecs,
  next: Readonly<Record<string, DeploymentSettings>>,
  make: (deployment: Deployment) => LimitSpec | undefined = limitSpecFor,
): Record<string, LimitSpec> {
  const limits: Record<string, LimitSpec> = {};
  for (const deployment of deploymentsFrom(next).values()) {
    const was = before[deployment.name];
    const kept = beforeLimits[deployment.name];
    const unchanged =
      was !== undefined && kept !== undefined && was.model === deployment.model.name &&
      was.tokensPerMinute === deployment.tokensPerMinute && was.requestsPerMinute === deployment.requestsPerMinute;
    const spec = unchanged ? kept : make(deployment);
    if (spec) limits[deployment.name] = spec;
  }
  return limits;
}

// ---- several replicas on one store (Redis) ---------------------------------------------------

/** Window ids by deployment: part of the shared configuration, so every replica charges the same keys. */
export type WindowIds = Readonly<Record<string, string>>;

const hasLimit = (d: Deployment): boolean => (d.model.limitKind === 'tokens' ? d.tokensPerMinute > 0 : d.model.limitKind === 'requests' && d.requestsPerMinute > 0);

/**
 * The replicas' shared counterpart of `limitSpecsAfterChange`: which window id each rate-limited
 * deployment has after a change — kept while its model and limits are unchanged, a new one
 * (`newId`) otherwise — decided once, by the replica that takes the PATCH, and stored with the
 * configuration, so a replica that missed a version still charges the right window.
 */
export function windowIdsAfterChange(
  before: Readonly<Record<string, DeploymentSettings>>,
  beforeIds: WindowIds,
  next: Readonly<Record<string, DeploymentSettings>>,
  newId: () => string,
): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const deployment of deploymentsFrom(next).values()) {
    if (!hasLimit(deployment)) continue;
    const was = before[deployment.name];
    const kept = beforeIds[deployment.name];
    const unchanged =
      was !== undefined && kept !== undefined && was.model === deployment.model.name &&
      was.tokensPerMinute === deployment.tokensPerMinute && was.requestsPerMinute === deployment.requestsPerMinute;
    ids[deployment.name] = unchanged ? kept : newId();
  }
  return ids;
}

/** A deployment's window in the store: hash-tagged, so its log and aggregate share a cluster slot. */
export const windowKey = (prefix: string, deployment: string, id: string): string => `${prefix}{w:${encodeURIComponent(deployment)}:${id}}`;
/** An extension's `requestsPerSecond` window in the store: by extension, name and n (another n is another window). */
export const extensionWindowKey = (prefix: string, name: string, n: number): string => `${prefix}{x:${encodeURIComponent(name)}:${n}}`;

/**
 * The limit specs for a shared configuration: each deployment's store key from its window id, and
 * local memory (the fallback window) kept while the key is the same.
 */
export function limitSpecsForWindows(
  next: Readonly<Record<string, DeploymentSettings>>,
  beforeLimits: LimitSpecs,
  ids: WindowIds,
  prefix: string,
  make: (deployment: Deployment) => LimitSpec | undefined = limitSpecFor,
): Record<string, LimitSpec> {
  const limits: Record<string, LimitSpec> = {};
  for (const deployment of deploymentsFrom(next).values()) {
    const id = ids[deployment.name];
    if (id === undefined) continue;
    const key = windowKey(prefix, deployment.name, id);
    const kept = beforeLimits[deployment.name];
    if (kept?.key === key) limits[deployment.name] = kept;
    else {
      const spec = make(deployment);
      if (spec) limits[deployment.name] = { ...spec, key };
    }
  }
  return limits;
}
