/**
 * Deployments: the Python simulator's `OPENAI_DEPLOYMENT_CONFIG_PATH` JSON format (python-compatibility.md §3.1),
 * its defaults (§3.2), and the lookup rule for deployments nobody configured (§3.3).
 */
import { findModel, knownModelNames, UNDEFINED_DEPLOYMENT_MODEL, type ModelSpec, type Operation } from '../models.js';
import { BOUNDS, describeBound, MAX_DEPLOYMENTS, MAX_WINDOW_MEMORY_BYTES, unknownKeys, withinBound, type Bound } from './bounds.js';
import { limitBytes } from '../limits/sliding-window.js';
import { SimulatorError } from '../errors.js';

export interface Deployment {
  readonly name: string;
  readonly model: ModelSpec;
  /** 0 = no token limit. */
  readonly tokensPerMinute: number;
  /** 0 = no request limit (only request-limited models use it). */
  readonly requestsPerMinute: number;
  readonly embeddingSize: number;
  /** True for deployments made up on the fly for an unknown name (never rate-limited). */
  readonly undefinedDeployment: boolean;
}

export class DeploymentConfigError extends SimulatorError {
  override name = 'DeploymentConfigError';
  readonly code = 'SIM_ERR_DEPLOYMENT_CONFIG';
}

type Raw = Record<string, unknown>;

/** The fields of a deployment in the config file, with their ranges. */
export const DEPLOYMENT_FILE_FIELDS = {
  tokensPerMinute: BOUNDS.tokensPerMinute,
  requestsPerMinute: BOUNDS.requestsPerMinute,
  embeddingSize: BOUNDS.embeddingSize,
} as const satisfies Record<string, Bound>;

function toCount(value: unknown, field: keyof typeof DEPLOYMENT_FILE_FIELDS, where: string): number {
  if (value === undefined || value === null) return 0;
  // The Python simulator int()-coerces, so "512" is valid (python-compatibility.md §3.1).
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  const bound = DEPLOYMENT_FILE_FIELDS[field];
  const checked = withinBound(n, bound);
  if (checked === undefined) throw new DeploymentConfigError(`${where}: "${field}" must be ${describeBound(bound)}, got ${JSON.stringify(value)}`);
  return checked;
}

/** The longest deployment name accepted (AOAI's own limit is 64 characters). */
export const MAX_DEPLOYMENT_NAME = 128;

/**
 * Why a deployment name cannot be configured, or undefined when it can: names become URL
 * segments, recording file names and keys of plain objects, so they have a length, no control
 * characters or URL delimiters, and are never a name every object already has (`__proto__`,
 * `constructor`, `toString`), which would read as a deployment that exists.
 */
export function deploymentNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_DEPLOYMENT_NAME) return `a deployment name must have 1 to ${MAX_DEPLOYMENT_NAME} characters`;
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u001f\u007f/\\?#%]/.test(name)) return 'a deployment name cannot contain control characters or any of / \\ ? # %';
  if (name in Object.prototype) return `"${name}" is reserved and cannot name a deployment`;
  return undefined;
}

export function makeDeployment(name: string, model: ModelSpec, raw: Raw = {}, where = `deployment "${name}"`): Deployment {
  const embeddingSize = toCount(raw.embeddingSize, 'embeddingSize', where) || model.embeddingSize || 1536;
  return Object.freeze({
    name,
    model,
    tokensPerMinute: toCount(raw.tokensPerMinute, 'tokensPerMinute', where),
    requestsPerMinute: toCount(raw.requestsPerMinute, 'requestsPerMinute', where),
    embeddingSize,
    undefinedDeployment: false,
  });
}

/** Parses the deployment config file's text. `source` names the file in every error. */
export function parseDeploymentConfig(text: string, source: string): Map<string, Deployment> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new DeploymentConfigError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DeploymentConfigError(`${source}: expected a JSON object keyed by deployment name`);
  }
  const result = new Map<string, Deployment>();
  const names = Object.keys(parsed);
  if (names.length > MAX_DEPLOYMENTS) throw new DeploymentConfigError(`${source}: at most ${MAX_DEPLOYMENTS} deployments, found ${names.length}`);
  let windowMemory = 0;
  for (const [name, value] of Object.entries(parsed as Raw)) {
    const where = `${source}: deployment "${name}"`;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new DeploymentConfigError(`${where}: expected an object like {"model": "gpt-4o", "tokensPerMinute": 60000}`);
    }
    const nameProblem = deploymentNameProblem(name);
    if (nameProblem) throw new DeploymentConfigError(`${where}: ${nameProblem}`);
    const raw = value as Raw;
    const unknown = unknownKeys(raw, ['model', ...Object.keys(DEPLOYMENT_FILE_FIELDS)]);
    if (unknown.length > 0) {
      throw new DeploymentConfigError(`${where}: unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')} (known: model, ${Object.keys(DEPLOYMENT_FILE_FIELDS).join(', ')})`);
    }
    if (typeof raw.model !== 'string' || raw.model === '') {
      throw new DeploymentConfigError(`${where}: "model" is required (known models: ${knownModelNames().join(', ')})`);
    }
    const model = findModel(raw.model);
    if (!model) {
      throw new DeploymentConfigError(
        `${where}: unknown model "${raw.model}". Known models: ${knownModelNames().join(', ')}`,
      );
    }
    const deployment = makeDeployment(name, model, raw, where);
    windowMemory += limitBytes(model.limitKind, deployment.tokensPerMinute, deployment.requestsPerMinute);
    if (windowMemory > MAX_WINDOW_MEMORY_BYTES) {
      throw new DeploymentConfigError(`${source}: the deployments' rate-limit windows would take more than ${MAX_WINDOW_MEMORY_BYTES / 2 ** 20} MiB (at deployment "${name}"); use fewer deployments with large limits`);
    }
    result.set(name, deployment);
  }
  return result;
}

/** A deployment as plain data (what crosses threads and what `/++/config` changes). */
export interface DeploymentSettings {
  readonly model: string;
  readonly tokensPerMinute: number;
  readonly requestsPerMinute: number;
  readonly embeddingSize: number;
}

export function deploymentSettings(deployments: ReadonlyMap<string, Deployment>): Record<string, DeploymentSettings> {
  return Object.fromEntries(
    [...deployments.values()].map((d) => [
      d.name,
      { model: d.model.name, tokensPerMinute: d.tokensPerMinute, requestsPerMinute: d.requestsPerMinute, embeddingSize: d.embeddingSize },
    ]),
  );
}

/** The deployments described by plain settings (their models were checked when they were made). */
export function deploymentsFrom(settings: Readonly<Record<string, DeploymentSettings>>): Map<string, Deployment> {
  return new Map(Object.entries(settings).map(([name, s]) => [name, makeDeployment(name, findModel(s.model)!, { ...s })]));
}

/** The Python simulator's built-in deployments, used when no config file is given (python-compatibility.md §3.2). */
export function defaultDeployments(): Map<string, Deployment> {
  const chat = findModel('gpt-3.5-turbo')!;
  const entries: Deployment[] = [makeDeployment('embedding', findModel('text-embedding-ada-002')!, { tokensPerMinute: 20_000 })];
  for (const [suffix, tpm] of [
    ['1k', 1_000], ['2k', 2_000], ['5k', 5_000], ['10k', 10_000], ['20k', 20_000],
    ['50k', 50_000], ['100k', 100_000], ['100m', 100_000_000],
  ] as const) {
    entries.push(makeDeployment(`gpt-35-turbo-${suffix}-token`, chat, { tokensPerMinute: tpm }));
  }
  entries.push(makeDeployment('whisper', findModel('whisper')!, { requestsPerMinute: 3 }));
  return new Map(entries.map((d) => [d.name, d]));
}

/**
 * Looks up the deployment a request names. Unknown names are allowed by default (python-compatibility.md §3.3): a
 * name that is itself a catalogue model (`/v1/…` with `"model": "gpt-4o"`) gets that model, any
 * other name the Python simulator's default for the operation. Made-up deployments are cached so
 * the hot path does not allocate one per request.
 */
export class DeploymentRegistry {
  readonly #configured: ReadonlyMap<string, Deployment>;
  readonly #madeUp = new Map<string, Deployment>();
  static readonly MADE_UP_LIMIT = 10_000;

  /** Changed at run time by `PATCH /++/config`. */
  allowUndefined: boolean;

  constructor(configured: ReadonlyMap<string, Deployment>, allowUndefined: boolean) {
    this.allowUndefined = allowUndefined;
    this.#configured = configured;
  }

  get configured(): ReadonlyMap<string, Deployment> {
    return this.#configured;
  }

  resolve(name: string, operation: Operation): Deployment | undefined {
    const found = this.#configured.get(name);
    if (found || !this.allowUndefined) return found;
    const key = operation + '\0' + name;
    let made = this.#madeUp.get(key);
    if (!made) {
      const named = findModel(name);
      const model = named && named.operations.includes(operation) ? named : findModel(UNDEFINED_DEPLOYMENT_MODEL[operation])!;
      made = Object.freeze({ ...makeDeployment(name, model), undefinedDeployment: true });
      if (this.#madeUp.size >= DeploymentRegistry.MADE_UP_LIMIT) this.#madeUp.clear();
      this.#madeUp.set(key, made);
    }
    return made;
  }
}
