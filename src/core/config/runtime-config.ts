/**
 * The runtime configuration behind `GET/PATCH /++/config`, in the Python simulator's JSON shape
 * (python-compatibility.md §8.2): the mode, the latency settings, the deployments. A PATCH is validated here, as a
 * whole, before anything changes: a bad value is a 400 naming it, and nothing is half-applied.
 */
import { deploymentNameProblem, type Deployment, type DeploymentSettings } from './deployments.js';
import { BOUNDS, describeBound, MAX_DEPLOYMENTS, MAX_WINDOW_MEMORY_BYTES, own, unknownKeys, withinBound, type Bound } from './bounds.js';
import { limitBytes } from '../limits/sliding-window.js';
import { findModel, knownModelNames } from '../models.js';
import type { LatencySetting, Mode, Settings } from './settings.js';
import { DEFAULT_AGENT_POLICY, type AgentPolicy } from '../generation/agent-policy.js';
import { SimulatorError } from '../errors.js';
import { isObject } from '../values.js';
import { FaultConfigError, faultsFromStore, faultsToStore, parseFaultConfig, type FaultConfig, type StoredFaults } from '../faults/config.js';

export interface RuntimeConfig {
  readonly mode: Mode;
  readonly latency: Settings['latency'];
  readonly allowUndefinedDeployments: boolean;
  readonly deployments: Readonly<Record<string, DeploymentSettings>>;
  /** Faults on purpose (core/faults); null when none is configured anywhere. */
  readonly faults: FaultConfig | null;
  /** Tools and structured outputs: the agent policy; the defaults when absent. */
  readonly agent?: AgentPolicy;
}

const LATENCY_KEYS = {
  open_ai_embeddings: 'embeddings',
  open_ai_completions: 'completions',
  open_ai_chat_completions: 'chatCompletions',
  open_ai_translations: 'translations',
  open_ai_images: 'images',
} as const satisfies Record<string, keyof Settings['latency']>;

export class ConfigPatchError extends SimulatorError {
  override name = 'ConfigPatchError';
  readonly code = 'SIM_ERR_CONFIG_PATCH';
}

/** The GET answer. */
export function configJson(config: RuntimeConfig, deployments: ReadonlyMap<string, Deployment>): string {
  const latency = Object.fromEntries(
    Object.entries(LATENCY_KEYS).map(([wire, key]) => {
      const s = config.latency[key];
      return [wire, { mean: s.mean, std_dev: s.stdDev, ...(s.ttftMean === undefined ? {} : { ttft_mean: s.ttftMean, ttft_std_dev: s.ttftStdDev ?? 0 }) }];
    }),
  );
  const openaiDeployments =
    deployments.size === 0
      ? null
      : Object.fromEntries(
          [...deployments.values()].map((d) => [
            d.name,
            { model: d.model.name, tokens_per_minute: d.tokensPerMinute, requests_per_minute: d.requestsPerMinute, embedding_size: d.embeddingSize },
          ]),
        );
  return JSON.stringify({
    simulator_mode: config.mode,
    allow_undefined_openai_deployments: config.allowUndefinedDeployments,
    latency,
    openai_deployments: openaiDeployments,
    faults: config.faults?.wire ?? null,
    agent: agentJson(config.agent ?? DEFAULT_AGENT_POLICY),
  });
}

// ---- The agent policy: wire names ↔ AgentPolicy fields, and the allowed values ---------------
const AGENT_FIELDS = {
  tool_choice_auto: ['toolChoiceAuto', ['call', 'answer']],
  named_tool_finish_reason: ['namedToolFinishReason', ['stop', 'tool_calls']],
  required_tool_finish_reason: ['requiredToolFinishReason', ['tool_calls', 'stop']],
  strict_schema_rules: ['strictSchemas', ['openai', 'azure-doc', 'off']],
} as const satisfies Record<string, readonly [keyof AgentPolicy, readonly string[]]>;

function agentJson(policy: AgentPolicy): Record<string, string> {
  return Object.fromEntries(Object.entries(AGENT_FIELDS).map(([wire, [field]]) => [wire, policy[field]]));
}

function patchAgent(current: AgentPolicy, patch: unknown): AgentPolicy {
  if (!isObject(patch)) throw new ConfigPatchError('agent must be an object like {"tool_choice_auto": "answer"}');
  const next: Record<string, string> = { ...current };
  for (const [wire, value] of Object.entries(patch)) {
    // own(): `__proto__` or `toString` are unknown keys, as everywhere in a PATCH (bounds.ts).
    const spec = own<readonly [keyof AgentPolicy, readonly string[]]>(AGENT_FIELDS, wire);
    if (!spec) throw new ConfigPatchError(`agent.${named(wire)} is not a setting (known: ${Object.keys(AGENT_FIELDS).join(', ')})`);
    if (typeof value !== 'string' || !spec[1].includes(value)) {
      throw new ConfigPatchError(`agent.${wire} must be one of ${spec[1].join(', ')}, got ${shown(value)}`);
    }
    next[spec[0]] = value;
  }
  return Object.freeze(next) as unknown as AgentPolicy;
}

function bounded(value: unknown, bound: Bound, at: string): number {
  const checked = withinBound(value, bound);
  if (checked === undefined) throw new ConfigPatchError(`${at} must be ${describeBound(bound)}, got ${shown(value)}`);
  return checked;
}

/** A value as a message shows it: short, whatever the client sent. */
function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const TOP_LEVEL_KEYS = ['latency', 'simulator_mode', 'allow_undefined_openai_deployments', 'openai_deployments', 'faults', 'agent'];

/** A key as a message names it (bounded: a client may send a megabyte-long one). */
const named = (key: string): string =>
  /^[\w.-]{1,80}$/.test(key) ? key : key.length > 80 ? `${JSON.stringify(key.slice(0, 77))}...` : JSON.stringify(key);

/** Applies a PATCH body to a configuration, or throws ConfigPatchError naming the bad value. */
export function applyConfigPatch(config: RuntimeConfig, patch: unknown): RuntimeConfig {
  if (!isObject(patch)) throw new ConfigPatchError('the body must be a JSON object');
  let latency = config.latency;
  const unknown = unknownKeys(patch, TOP_LEVEL_KEYS);
  if (unknown.length > 0) throw new ConfigPatchError(`unknown setting(s) ${unknown.map(named).join(', ')} (known: ${TOP_LEVEL_KEYS.join(', ')})`);
  if (patch.latency !== undefined) {
    if (!isObject(patch.latency)) throw new ConfigPatchError('latency must be an object');
    const next: Record<string, LatencySetting> = { ...config.latency };
    for (const [wire, value] of Object.entries(patch.latency)) {
      const key = own<keyof Settings['latency']>(LATENCY_KEYS, wire);
      if (!key) throw new ConfigPatchError(`latency.${named(wire)} is not a latency setting (known: ${Object.keys(LATENCY_KEYS).join(', ')})`);
      if (!isObject(value)) throw new ConfigPatchError(`latency.${wire} must be an object like {"mean": 10, "std_dev": 2}`);
      const current = config.latency[key];
      for (const field of Object.keys(value)) {
        const allowed = current.ttftMean === undefined ? ['mean', 'std_dev'] : ['mean', 'std_dev', 'ttft_mean', 'ttft_std_dev'];
        if (!allowed.includes(field)) throw new ConfigPatchError(`latency.${wire}.${named(field)} is not a setting (known: ${allowed.join(', ')})`);
      }
      const pick = (field: string, fallback: number | undefined): number | undefined =>
        value[field] === undefined ? fallback : bounded(value[field], BOUNDS.latencyMs, `latency.${wire}.${field}`);
      next[key] = {
        ...current,
        mean: pick('mean', current.mean)!,
        stdDev: pick('std_dev', current.stdDev)!,
        ...(current.ttftMean === undefined ? {} : { ttftMean: pick('ttft_mean', current.ttftMean), ttftStdDev: pick('ttft_std_dev', current.ttftStdDev) }),
      };
    }
    latency = next as Settings['latency'];
  }
  if (patch.simulator_mode !== undefined && patch.simulator_mode !== config.mode) {
    throw new ConfigPatchError(`simulator_mode cannot change at run time (it is ${config.mode}); restart with SIMULATOR_MODE=${String(patch.simulator_mode)}`);
  }
  const deployments = patch.openai_deployments === undefined ? config.deployments : patchDeployments(config.deployments, patch.openai_deployments);
  let allow = config.allowUndefinedDeployments;
  if (patch.allow_undefined_openai_deployments !== undefined) {
    if (typeof patch.allow_undefined_openai_deployments !== 'boolean') throw new ConfigPatchError('allow_undefined_openai_deployments must be true or false');
    allow = patch.allow_undefined_openai_deployments;
  }
  // `faults` is replaced whole (null clears it); a change restarts every sequence and schedule.
  let faults = config.faults;
  if (patch.faults !== undefined) {
    try {
      faults = parseFaultConfig(patch.faults);
    } catch (err) {
      if (err instanceof FaultConfigError) throw new ConfigPatchError(err.message);
      throw err;
    }
  }
  const agent = patch.agent === undefined ? config.agent : patchAgent(config.agent ?? DEFAULT_AGENT_POLICY, patch.agent);
  return { mode: config.mode, latency, allowUndefinedDeployments: allow, deployments, faults, ...(agent ? { agent } : {}) };
}

/** Many deployments at large limits would reserve more window memory than the process has. */
function checkDeploymentTotals(deployments: Readonly<Record<string, DeploymentSettings>>): void {
  const all = Object.values(deployments);
  if (all.length > MAX_DEPLOYMENTS) throw new ConfigPatchError(`openai_deployments: at most ${MAX_DEPLOYMENTS} deployments, this change makes ${all.length}`);
  const bytes = all.reduce((sum, d) => sum + limitBytes(findModel(d.model)!.limitKind, d.tokensPerMinute, d.requestsPerMinute), 0);
  if (bytes > MAX_WINDOW_MEMORY_BYTES) {
    throw new ConfigPatchError(`openai_deployments: their rate-limit windows would take ${Math.ceil(bytes / 2 ** 20)} MiB, more than the ${MAX_WINDOW_MEMORY_BYTES / 2 ** 20} MiB allowed; use fewer deployments with large limits`);
  }
}

const DEPLOYMENT_FIELDS = {
  tokens_per_minute: 'tokensPerMinute',
  requests_per_minute: 'requestsPerMinute',
  embedding_size: 'embeddingSize',
} as const satisfies Record<string, keyof typeof BOUNDS>;

/** Adds or changes deployments: `{"name": {"model"?, "tokens_per_minute"?, "requests_per_minute"?, "embedding_size"?}}`. */
function patchDeployments(current: Readonly<Record<string, DeploymentSettings>>, patch: unknown): Record<string, DeploymentSettings> {
  if (!isObject(patch)) throw new ConfigPatchError('openai_deployments must be an object keyed by deployment name');
  const next: Record<string, DeploymentSettings> = { ...current };
  for (const [name, change] of Object.entries(patch)) {
    const at = `openai_deployments.${named(name)}`;
    const nameProblem = deploymentNameProblem(name);
    if (nameProblem) throw new ConfigPatchError(`${at}: ${nameProblem}`);
    if (!isObject(change)) throw new ConfigPatchError(`${at} must be an object like {"model": "gpt-4o", "tokens_per_minute": 60000}`);
    const existing = own(current, name);
    const model = change.model ?? existing?.model;
    if (typeof model !== 'string') throw new ConfigPatchError(`${at}.model is required for a new deployment`);
    const spec = findModel(model);
    if (!spec) throw new ConfigPatchError(`${at}.model: unknown model ${named(model)} (known: ${knownModelNames().join(', ')})`);
    const updated: Record<string, number | string> = { ...(existing ?? { tokensPerMinute: 0, requestsPerMinute: 0, embeddingSize: spec.embeddingSize ?? 1536 }), model: spec.name };
    for (const [key, value] of Object.entries(change)) {
      if (key === 'model') continue;
      const field = own<(typeof DEPLOYMENT_FIELDS)[keyof typeof DEPLOYMENT_FIELDS]>(DEPLOYMENT_FIELDS, key);
      if (!field) throw new ConfigPatchError(`${at}.${named(key)} is not a deployment setting (known: model, ${Object.keys(DEPLOYMENT_FIELDS).join(', ')})`);
      updated[field] = bounded(value, BOUNDS[field], `${at}.${key}`);
    }
    next[name] = updated as unknown as DeploymentSettings;
  }
  checkDeploymentTotals(next);
  return next;
}

/**
 * The runtime configuration as the shared store (Redis) keeps it: JSON, so the fault
 * configuration (which holds shared memory) goes as written and is parsed again on reading.
 */
export type StoredRuntime = Omit<RuntimeConfig, 'faults'> & { readonly faults: StoredFaults | null };

export const runtimeToStore = (config: RuntimeConfig): StoredRuntime => ({ ...config, faults: faultsToStore(config.faults) });

export const runtimeFromStore = (stored: StoredRuntime): RuntimeConfig => ({ ...stored, faults: faultsFromStore(stored.faults) });

/** `next`, with `current`'s fault configuration object when both are the same one (same epoch): its cursors go on. */
export const keepFaultCursors = (next: RuntimeConfig, current: RuntimeConfig): RuntimeConfig =>
  next.faults && current.faults && next.faults.epoch === current.faults.epoch ? { ...next, faults: current.faults } : next;
