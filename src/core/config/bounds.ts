/**
 * The documented range of every number a user can set — by environment variable, in the
 * deployment config file, or with `PATCH /++/config` — in one table, so the three readers agree
 * and the docs can quote it. A value outside its range is refused with a message that states it:
 * the bounds keep a request answerable (a latency of 1e308 ms never answers) and memory
 * proportionate (a rate-limit window's size is capped separately, see limits/sliding-window.ts).
 */

export interface Bound {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
  /** Shown after the range in messages, e.g. "ms". */
  readonly unit?: string;
}

const whole = (min: number, max: number, unit?: string): Bound => ({ min, max, integer: true, ...(unit ? { unit } : {}) });
const real = (min: number, max: number, unit?: string): Bound => ({ min, max, integer: false, ...(unit ? { unit } : {}) });

export const BOUNDS = {
  /** 0 = no token limit. Real deployments go up to a few 10^7; 10^9 leaves room and keeps sums exact. */
  tokensPerMinute: whole(0, 1_000_000_000),
  /** 0 = no request limit. */
  requestsPerMinute: whole(0, 1_000_000_000),
  /** 0 = the model's own size. The largest real model has 3,072. */
  embeddingSize: whole(0, 8_192),
  /** Latency means, standard deviations and times to first token (per token, request or MiB). */
  latencyMs: real(0, 600_000, 'ms'),
  port: whole(0, 65_535),
  threads: whole(1, 256),
  bodyBytes: whole(1, 1024 * 1024 * 1024, 'bytes'),
  poolMinBodyBytes: whole(0, 1024 * 1024 * 1024, 'bytes'),
  poolMaxQueue: whole(1, 1_000_000, 'tasks'),
  timeoutMs: whole(1, 3_600_000, 'ms'),
  /** The Responses API's store: 0 stores nothing; 16 GiB is far beyond one process's heap anyway. */
  storeBytes: whole(0, 16 * 1024 * 1024 * 1024, 'bytes'),
  /** How long a stored response lives: up to a year (Azure keeps them 30 days). */
  storeTtlSeconds: whole(1, 366 * 24 * 3600, 's'),
  /** How long a generated image's `url` answers; 30 days is far beyond the service's hours. */
  imageUrlTtlSeconds: whole(1, 30 * 86_400, 's'),
  /** Entra ID token clock skew tolerance; a day is already far more than any real clock drifts. */
  clockSkewSeconds: whole(0, 86_400, 's'),
} as const satisfies Record<string, Bound>;

/**
 * Configured deployments, and the shared memory their rate-limit windows may take together
 * (a window is at most ~2.4 MB; 100 deployments at the largest limits fit).
 */
export const MAX_DEPLOYMENTS = 1_000;
export const MAX_WINDOW_MEMORY_BYTES = 256 * 1024 * 1024;

/** "a whole number from 0 to 1,000,000,000" */
export function describeBound(bound: Bound): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  return `${bound.integer ? 'a whole number' : 'a number'} from ${n(bound.min)} to ${n(bound.max)}${bound.unit ? ` ${bound.unit}` : ''}`;
}

/** The value as a number within the bound, or undefined (strings are not numbers here). */
export function withinBound(value: unknown, bound: Bound): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  if (value < bound.min || value > bound.max || (bound.integer && !Number.isInteger(value))) return undefined;
  return value;
}

/** Own, enumerable keys of a parsed JSON object that are not in `known` (never the prototype's). */
export function unknownKeys(value: Readonly<Record<string, unknown>>, known: readonly string[]): string[] {
  return Object.keys(value).filter((key) => !known.includes(key));
}

/** `Object.hasOwn` for lookup tables: `__proto__`, `constructor` and `toString` are not entries. */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
