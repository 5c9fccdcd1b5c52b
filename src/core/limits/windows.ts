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
