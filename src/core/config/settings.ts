/**
 * Settings from environment variables: the Python simulator's names and defaults (python-compatibility.md §8.1),
 * plus this simulator's own `SIMULATOR_*` tuning knobs. Parsing is pure (an env record in, a
 * frozen object out) and every bad value is a clear error naming the variable.
 */
import { SimulatorError } from '../errors.js';

import { BOUNDS, describeBound, withinBound, type Bound } from './bounds.js';
import type { AgentPolicy } from '../generation/agent-policy.js';
import { DEFAULT_AUDIENCES, type EntraSettings } from '../auth/entra.js';

export type Mode = 'generate' | 'record' | 'replay';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LatencySetting {
  readonly mean: number;
  readonly stdDev: number;
  /** Chat and completions: time to the first token (ms, normal), before the per-token delays. */
  readonly ttftMean?: number;
  readonly ttftStdDev?: number;
}

export interface Settings {
  readonly mode: Mode;
  /** Undefined when not set (or empty): a random key is generated at start. */
  readonly apiKey: string | undefined;
  readonly host: string;
  readonly port: number;
  /** uWebSockets.js apps listening on the port, one per worker thread. */
  readonly frontEndThreads: number;
  /** Piscina workers for heavy requests (they sit idle unless requests are heavy). */
  readonly poolThreads: number;
  /** Request bodies at least this large are generated in the pool instead of inline. */
  readonly poolMinBodyBytes: number;
  /** Tasks waiting for a pool thread past which a heavy request is refused (429, retry-after-ms) instead of queued. */
  readonly poolMaxQueue: number;
  readonly maxBodyBytes: number;
  /** `natural` answers end at a sentence (within the limit); `fill` answers are exactly the limit. */
  readonly answerLength: 'natural' | 'fill';
  readonly allowUndefinedDeployments: boolean;
  readonly deploymentConfigPath: string | undefined;
  readonly recordingDir: string;
  readonly recordingAutosave: boolean;
  readonly azureOpenAIEndpoint: string | undefined;
  readonly azureOpenAIKey: string | undefined;
  /** Record mode: how long to wait for the upstream connection, and for any byte after it. */
  readonly upstreamConnectTimeoutMs: number;
  readonly upstreamIdleTimeoutMs: number;
  readonly extensionPath: string | undefined;
  readonly logLevel: LogLevel;
  readonly tiktokenCacheDir: string | undefined;
  /** The Responses API's store of responses (core/responses/store.ts) and its stream's end. */
  readonly responses: ResponsesSettings;
  /** Record the Prometheus metrics (`/metrics`, `/++/dashboard`). */
  readonly metrics: boolean;
  /** Who may read `/metrics`: `key` (the simulator's key, as every other route) or `public`. */
  readonly metricsAccess: 'key' | 'public';
  /** Scale-out (docs/architecture.md, "Several replicas"): the shared state store, or undefined (embedded). */
  readonly redis: RedisSettings | undefined;
  /** This replica's name: CONTAINER_APP_REPLICA_NAME on Azure Container Apps, else SIMULATOR_REPLICA_NAME. */
  readonly replicaName: string | undefined;
  /** SIMULATOR_REPLICAS: how many replicas the deployment runs (a hint for the start-up warning). */
  readonly replicasHint: number | undefined;
  /** SIMULATOR_FAULT_HEADERS: honour `x-simulator-fault` request headers (off by default). */
  readonly faultHeaders: boolean;
  /** SIMULATOR_FAULTS (JSON) or SIMULATOR_FAULTS_FILE (a JSON file): the fault configuration at start. */
  readonly faults: string | undefined;
  readonly faultsFile: string | undefined;
  readonly latency: {
    readonly embeddings: LatencySetting;
    readonly completions: LatencySetting;
    readonly chatCompletions: LatencySetting;
    readonly translations: LatencySetting;
    /** Per generated image. */
    readonly images: LatencySetting;
  };
  // ---- Tools, structured outputs, Entra ID, images, replay matching ---------------------------
  /** Where the model's behaviour is a choice or unconfirmed on the live service. */
  readonly agent: AgentPolicy;
  /** Entra ID bearer tokens (off unless SIMULATOR_ENTRA_AUTH is true). */
  readonly entra: EntraSettings;
  /** How long an image `url` answer stays valid (Azure: 24 hours). */
  readonly imageUrlTtlSeconds: number;
  /** Image prompts containing one of these words get the content-policy 400. */
  readonly imageBlockedWords: readonly string[];
  /** The simulator's address as clients reach it (image `url` answers); default: the request's Host. */
  readonly publicUrl: string | undefined;
  /** Replay: JSON body fields left out of the recording key (and key order ignored) when set. */
  readonly recordingIgnoreBodyFields: readonly string[];
}

export interface ResponsesSettings {
  /** Bytes of stored responses kept (oldest evicted first past it). */
  readonly storeBytes: number;
  /** How long a stored response lives (Azure keeps them 30 days). */
  readonly ttlSeconds: number;
  /** Whether a Responses stream ends with `data: [DONE]` after its terminal event (the recordings: no). */
  readonly streamDone: boolean;
}

export interface RedisSettings {
  /** `redis://…`, `rediss://…` or a unix socket path. A secret (it may hold a password): never logged. */
  readonly url: string;
  /** Prefix of every key and channel, so several simulators can share one Redis. */
  readonly prefix: string;
  /** What rate limits do while Redis does not answer: `local` (budget ÷ live replicas), `open`, `closed`. */
  readonly onStoreError: 'local' | 'open' | 'closed';
  /** How long a request waits for Redis before the fallback decides. */
  readonly timeoutMs: number;
}

export class SettingsError extends SimulatorError {
  override name = 'SettingsError';
  readonly code = 'SIM_ERR_SETTINGS';
}

type Env = Readonly<Record<string, string | undefined>>;

const TRUE = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE = new Set(['false', '0', 'no', 'off', 'f', 'n']);

function text(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const v = text(env, name)?.toLowerCase();
  if (v === undefined) return fallback;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new SettingsError(`${name} must be true or false, got "${env[name]}"`);
}

/** A number within its documented range (core/config/bounds.ts). */
function num(env: Env, name: string, fallback: number, bound: Bound): number {
  const v = text(env, name);
  if (v === undefined) return fallback;
  const n = withinBound(Number(v), bound);
  if (n === undefined) throw new SettingsError(`${name} must be ${describeBound(bound)}, got "${v}"`);
  return n;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const v = text(env, name)?.toLowerCase();
  if (v === undefined) return fallback;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new SettingsError(`${name} must be one of ${allowed.join(', ')}, got "${env[name]}"`);
}

function httpUrl(env: Env, name: string): string | undefined {
  const v = text(env, name);
  if (v === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new SettingsError(`${name} must be an http(s) URL like https://mysvc.openai.azure.com/, got "${v}"`);
  }
  return v;
}

function latency(env: Env, op: string, mean: number, stdDev: number): LatencySetting {
  return { mean: num(env, `LATENCY_OPENAI_${op}_MEAN`, mean, BOUNDS.latencyMs), stdDev: num(env, `LATENCY_OPENAI_${op}_STD_DEV`, stdDev, BOUNDS.latencyMs) };
}

/** Token-generating operations also have a time to first token (0 by default, as in the Python simulator). */
function tokenLatency(env: Env, op: string, mean: number, stdDev: number): LatencySetting {
  return {
    ...latency(env, op, mean, stdDev),
    ttftMean: num(env, `LATENCY_OPENAI_${op}_TTFT_MEAN`, 0, BOUNDS.latencyMs),
    ttftStdDev: num(env, `LATENCY_OPENAI_${op}_TTFT_STD_DEV`, 0, BOUNDS.latencyMs),
  };
}

function redisSettings(env: Env): RedisSettings | undefined {
  const url = text(env, 'SIMULATOR_REDIS_URL');
  // Read (and checked) even without a URL: a bad value is an error either way.
  const rest = {
    prefix: text(env, 'SIMULATOR_REDIS_PREFIX') ?? 'aoai-sim:',
    onStoreError: oneOf(env, 'SIMULATOR_LIMITS_ON_STORE_ERROR', ['local', 'open', 'closed'] as const, 'local'),
    timeoutMs: num(env, 'SIMULATOR_REDIS_TIMEOUT_MS', 250, { min: 1, max: 60_000, integer: true }),
  };
  if (url === undefined) return undefined;
  // The value is not echoed: a URL may carry the password.
  if (!/^rediss?:\/\/[^/]/i.test(url) && !url.startsWith('/')) throw new SettingsError('SIMULATOR_REDIS_URL must be a redis:// or rediss:// URL, or the absolute path of a unix socket');
  return { url, ...rest };
}

function list(env: Env, name: string): string[] {
  return (text(env, name) ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/** `cores` is the machine's parallelism (passed in so this stays pure). */
export function parseSettings(env: Env, cores: number): Settings {
  const frontEndThreads = num(env, 'SIMULATOR_THREADS', Math.max(1, cores), BOUNDS.threads);
  return Object.freeze({
    mode: oneOf(env, 'SIMULATOR_MODE', ['generate', 'record', 'replay'] as const, 'generate'),
    apiKey: text(env, 'SIMULATOR_API_KEY'),
    host: text(env, 'SIMULATOR_HOST') ?? '0.0.0.0',
    port: num(env, 'PORT', 8000, BOUNDS.port),
    frontEndThreads,
    poolThreads: num(env, 'SIMULATOR_POOL_THREADS', Math.max(1, cores), BOUNDS.threads),
    poolMinBodyBytes: num(env, 'SIMULATOR_POOL_MIN_BODY_BYTES', 64 * 1024, BOUNDS.poolMinBodyBytes),
    poolMaxQueue: num(env, 'SIMULATOR_POOL_MAX_QUEUE', 64, BOUNDS.poolMaxQueue),
    maxBodyBytes: num(env, 'SIMULATOR_MAX_BODY_BYTES', 32 * 1024 * 1024, BOUNDS.bodyBytes),
    answerLength: oneOf(env, 'SIMULATOR_ANSWER_LENGTH', ['natural', 'fill'] as const, 'natural'),
    allowUndefinedDeployments: bool(env, 'ALLOW_UNDEFINED_OPENAI_DEPLOYMENTS', true),
    deploymentConfigPath: text(env, 'OPENAI_DEPLOYMENT_CONFIG_PATH'),
    recordingDir: text(env, 'RECORDING_DIR') ?? '.recording',
    // The Python simulator's infrastructure set RECORDING_AUTO_SAVE; its code read RECORDING_AUTOSAVE.
    recordingAutosave: bool(env, 'RECORDING_AUTOSAVE', bool(env, 'RECORDING_AUTO_SAVE', true)),
    azureOpenAIEndpoint: httpUrl(env, 'AZURE_OPENAI_ENDPOINT'),
    azureOpenAIKey: text(env, 'AZURE_OPENAI_KEY'),
    upstreamConnectTimeoutMs: num(env, 'SIMULATOR_UPSTREAM_CONNECT_TIMEOUT_MS', 10_000, BOUNDS.timeoutMs),
    upstreamIdleTimeoutMs: num(env, 'SIMULATOR_UPSTREAM_IDLE_TIMEOUT_MS', 120_000, BOUNDS.timeoutMs),
    extensionPath: text(env, 'EXTENSION_PATH'),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    tiktokenCacheDir: text(env, 'TIKTOKEN_CACHE_DIR'),
    responses: Object.freeze({
      storeBytes: num(env, 'SIMULATOR_RESPONSES_STORE_BYTES', 64 * 1024 * 1024, BOUNDS.storeBytes),
      ttlSeconds: num(env, 'SIMULATOR_RESPONSES_TTL_SECONDS', 30 * 24 * 3600, BOUNDS.storeTtlSeconds),
      streamDone: bool(env, 'SIMULATOR_RESPONSES_STREAM_DONE', false),
    }),
    metrics: bool(env, 'SIMULATOR_METRICS', true),
    metricsAccess: oneOf(env, 'SIMULATOR_METRICS_ACCESS', ['key', 'public'] as const, 'key'),
    redis: redisSettings(env),
    replicaName: text(env, 'CONTAINER_APP_REPLICA_NAME') ?? text(env, 'SIMULATOR_REPLICA_NAME'),
    replicasHint: text(env, 'SIMULATOR_REPLICAS') === undefined ? undefined : num(env, 'SIMULATOR_REPLICAS', 1, { min: 1, max: 1000, integer: true }),
    faultHeaders: bool(env, 'SIMULATOR_FAULT_HEADERS', false),
    faults: text(env, 'SIMULATOR_FAULTS'),
    faultsFile: text(env, 'SIMULATOR_FAULTS_FILE'),
    latency: {
      embeddings: latency(env, 'EMBEDDINGS', 100, 30),
      completions: tokenLatency(env, 'COMPLETIONS', 15, 2),
      chatCompletions: tokenLatency(env, 'CHAT_COMPLETIONS', 19, 6),
      translations: latency(env, 'TRANSLATIONS', 15000, 1000),
      images: latency(env, 'IMAGES', 10000, 2000),
    },
    // ---- Tools, structured outputs, Entra ID, images, replay matching ----
    agent: Object.freeze({
      toolChoiceAuto: oneOf(env, 'SIMULATOR_TOOL_CHOICE_AUTO', ['call', 'answer'] as const, 'call'),
      namedToolFinishReason: oneOf(env, 'SIMULATOR_NAMED_TOOL_FINISH_REASON', ['stop', 'tool_calls'] as const, 'stop'),
      requiredToolFinishReason: oneOf(env, 'SIMULATOR_REQUIRED_TOOL_FINISH_REASON', ['tool_calls', 'stop'] as const, 'tool_calls'),
      strictSchemas: oneOf(env, 'SIMULATOR_STRICT_SCHEMA_RULES', ['openai', 'azure-doc', 'off'] as const, 'openai'),
    }),
    entra: Object.freeze({
      enabled: bool(env, 'SIMULATOR_ENTRA_AUTH', false),
      audiences: Object.freeze(list(env, 'SIMULATOR_ENTRA_AUDIENCES').length > 0 ? list(env, 'SIMULATOR_ENTRA_AUDIENCES') : [...DEFAULT_AUDIENCES]),
      tenants: Object.freeze(list(env, 'SIMULATOR_ENTRA_TENANTS')),
      clockSkewSeconds: num(env, 'SIMULATOR_ENTRA_CLOCK_SKEW_SECONDS', 300, BOUNDS.clockSkewSeconds),
    }),
    imageUrlTtlSeconds: num(env, 'SIMULATOR_IMAGE_URL_TTL_SECONDS', 86_400, BOUNDS.imageUrlTtlSeconds),
    imageBlockedWords: Object.freeze(list(env, 'SIMULATOR_IMAGE_BLOCKED_WORDS')),
    publicUrl: httpUrl(env, 'SIMULATOR_PUBLIC_URL')?.replace(/\/+$/, ''),
    recordingIgnoreBodyFields: Object.freeze(list(env, 'RECORDING_IGNORE_BODY_FIELDS')),
  });
}
