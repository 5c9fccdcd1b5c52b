/**
 * The fault configuration: parsing and validating it (from SIMULATOR_FAULTS / SIMULATOR_FAULTS_FILE
 * at start, the `faults` field of `PATCH /++/config`, and the `x-simulator-fault` header), and its
 * JSON for `GET /++/config`. Validation is whole: a bad value throws FaultConfigError naming it,
 * and nothing is applied.
 *
 * Wire shape (README "Faults"):
 *   { "allow_headers": true, "seed": 42,
 *     "global": { "500": 0.01 },
 *     "deployments": { "gpt-4o": { "429;variant=high_demand": 0.05 } },
 *     "scenarios": { "retry-storm": { "schedule": ["429", "429", "ok"], "on_exhausted": "ok" },
 *                    "flaky": { "rates": { "503": 0.5 } } } }
 * A rate set maps fault specs to probabilities (summing to at most 1); a schedule is an ordered
 * list of fault specs and `ok`.
 */
import { own, unknownKeys } from '../config/bounds.js';
import { randomId } from '../ids.js';
import { SimulatorError } from '../errors.js';
import { isObject } from '../values.js';
import { FAULT_NAMES, FAULTS, type FaultName, type FaultSpec } from './catalogue.js';

export class FaultConfigError extends SimulatorError {
  override name = 'FaultConfigError';
  readonly code = 'SIM_ERR_FAULT_CONFIG';
}

export interface Rate {
  readonly fault: FaultSpec;
  readonly rate: number;
}

export type OnExhausted = 'loop' | 'ok' | 'repeat_last';
const ON_EXHAUSTED: readonly OnExhausted[] = ['loop', 'ok', 'repeat_last'];

/** How a scope picks: by seeded draws over rates, or by its place in a schedule. `null` = ok. */
export type Picker =
  | { readonly kind: 'rates'; readonly rates: readonly Rate[] }
  | { readonly kind: 'schedule'; readonly schedule: readonly (FaultSpec | null)[]; readonly onExhausted: OnExhausted };

/** A scope with its own sequence (a slot in the shared counters). */
export interface Scope {
  readonly slot: number;
  readonly picker: Picker;
}

export interface FaultConfig {
  readonly allowHeaders: boolean;
  readonly seed: number;
  readonly global: Scope | null;
  readonly deployments: Readonly<Record<string, Scope>>;
  readonly scenarios: Readonly<Record<string, Scope>>;
  /** One cursor per scope (Uint32, by slot), shared by every front-end thread (front-end/pipeline/faults.ts). */
  readonly cursors: SharedArrayBuffer;
  /**
   * Names this configuration (random, made when it is parsed): on Redis the scopes' cursors are
   * keys under it, so a new fault configuration starts every sequence and schedule afresh on
   * every replica. Kept when the configuration goes through the shared store (`faultsFromStore`).
   */
  readonly epoch: string;
  /** The configuration as given, for GET /++/config. */
  readonly wire: Readonly<Record<string, unknown>>;
}

const MAX_SCOPES = 10_000;
const MAX_SCHEDULE = 10_000;

/** `429;retry_after_ms=1500;variant=high_demand` → the fault with every parameter resolved. */
export function parseFaultSpec(text: string, at: string): FaultSpec {
  const [head = '', ...pairs] = text.split(';').map((part) => part.trim());
  const name = head.toLowerCase();
  if (!(FAULT_NAMES as readonly string[]).includes(name)) throw new FaultConfigError(`${at}: unknown fault "${head}" (known: ${FAULT_NAMES.join(', ')})`);
  const entry = FAULTS[name as FaultName];
  const params: Record<string, number | string> = {};
  for (const [param, spec] of Object.entries(entry.params)) params[param] = spec.default;
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const param = (eq < 0 ? pair : pair.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : pair.slice(eq + 1).trim();
    const spec = own(entry.params, param);
    const known = Object.keys(entry.params);
    if (!spec) throw new FaultConfigError(`${at}: fault ${name} has no parameter "${param}"${known.length ? ` (known: ${known.join(', ')})` : ' (it takes none)'}`);
    if (spec.kind === 'number') {
      const n = Number(value);
      if (value === '' || !Number.isInteger(n) || n < spec.min || n > spec.max) throw new FaultConfigError(`${at}: ${name} ${param} must be a whole number between ${spec.min} and ${spec.max}, got "${value}"`);
      params[param] = n;
    } else {
      if (!spec.values.includes(value)) throw new FaultConfigError(`${at}: ${name} ${param} must be one of ${spec.values.join(', ')}, got "${value}"`);
      params[param] = value;
    }
  }
  return Object.freeze({ name: name as FaultName, params: Object.freeze(params), text: text.trim() });
}

function parseRates(value: unknown, at: string): Rate[] {
  if (!isObject(value)) throw new FaultConfigError(`${at} must be an object of fault → rate, like {"500": 0.01}`);
  const rates: Rate[] = [];
  let total = 0;
  for (const [text, rate] of Object.entries(value)) {
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) throw new FaultConfigError(`${at}.${text} must be a rate between 0 and 1, got ${JSON.stringify(rate)}`);
    rates.push({ fault: parseFaultSpec(text, `${at}.${text}`), rate });
    total += rate;
  }
  // The draw picks at most one fault, so the rates are absolute and their sum is the fault rate.
  if (total > 1 + 1e-9) throw new FaultConfigError(`${at}: the rates add up to ${total}, more than 1`);
  return rates;
}

function parseSchedule(value: unknown, at: string): (FaultSpec | null)[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SCHEDULE) throw new FaultConfigError(`${at} must be a list of 1 to ${MAX_SCHEDULE} faults or "ok", like ["429", "429", "ok"]`);
  return value.map((item, i) => {
    if (typeof item !== 'string') throw new FaultConfigError(`${at}[${i}] must be a fault or "ok", got ${JSON.stringify(item)}`);
    return item.trim().toLowerCase() === 'ok' ? null : parseFaultSpec(item, `${at}[${i}]`);
  });
}

const KNOWN = ['allow_headers', 'seed', 'global', 'deployments', 'scenarios'];

/**
 * Parses a fault configuration (`null` clears it). `allowHeadersDefault`: SIMULATOR_FAULT_HEADERS.
 * Returns null when nothing is configured at all, so the request path tests one field.
 */
export function parseFaultConfig(value: unknown, at = 'faults', allowHeadersDefault = false, epoch = randomId('', 12)): FaultConfig | null {
  if (value === null || value === undefined) return allowHeadersDefault ? parseFaultConfig({}, at, true, epoch) : null;
  if (!isObject(value)) throw new FaultConfigError(`${at} must be an object (or null to clear every fault)`);
  const unknown = unknownKeys(value, KNOWN);
  if (unknown.length > 0) throw new FaultConfigError(`${at}.${unknown[0]} is not a fault setting (known: ${KNOWN.join(', ')})`);
  const allowHeaders = value.allow_headers ?? allowHeadersDefault;
  if (typeof allowHeaders !== 'boolean') throw new FaultConfigError(`${at}.allow_headers must be true or false`);
  const seed = value.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new FaultConfigError(`${at}.seed must be a whole number between 0 and 4294967295, got ${JSON.stringify(seed)}`);
  let slots = 0;
  const scope = (picker: Picker): Scope => {
    if (slots >= MAX_SCOPES) throw new FaultConfigError(`${at}: more than ${MAX_SCOPES} deployments and scenarios`);
    return { slot: slots++, picker };
  };
  const global = value.global === undefined || value.global === null ? null : scope({ kind: 'rates', rates: parseRates(value.global, `${at}.global`) });
  // Keyed by names from the configuration: no prototype, so `__proto__` is a name like any other.
  const deployments = Object.create(null) as Record<string, Scope>;
  if (value.deployments !== undefined) {
    if (!isObject(value.deployments)) throw new FaultConfigError(`${at}.deployments must be an object keyed by deployment name`);
    for (const [name, rates] of Object.entries(value.deployments)) deployments[name] = scope({ kind: 'rates', rates: parseRates(rates, `${at}.deployments.${name}`) });
  }
  const scenarios = Object.create(null) as Record<string, Scope>;
  if (value.scenarios !== undefined) {
    if (!isObject(value.scenarios)) throw new FaultConfigError(`${at}.scenarios must be an object keyed by scenario name`);
    for (const [name, scenario] of Object.entries(value.scenarios)) {
      const where = `${at}.scenarios.${name}`;
      if (!isObject(scenario)) throw new FaultConfigError(`${where} must be {"rates": {…}} or {"schedule": […], "on_exhausted": "loop"}`);
      for (const key of Object.keys(scenario)) if (!['rates', 'schedule', 'on_exhausted'].includes(key)) throw new FaultConfigError(`${where}.${key} is not a scenario setting (known: rates, schedule, on_exhausted)`);
      if ((scenario.rates === undefined) === (scenario.schedule === undefined)) throw new FaultConfigError(`${where} needs exactly one of "rates" and "schedule"`);
      if (scenario.rates !== undefined) {
        if (scenario.on_exhausted !== undefined) throw new FaultConfigError(`${where}.on_exhausted applies to schedules only`);
        scenarios[name] = scope({ kind: 'rates', rates: parseRates(scenario.rates, `${where}.rates`) });
      } else {
        const onExhausted = scenario.on_exhausted ?? 'ok';
        if (!ON_EXHAUSTED.includes(onExhausted as OnExhausted)) throw new FaultConfigError(`${where}.on_exhausted must be one of ${ON_EXHAUSTED.join(', ')}, got ${JSON.stringify(onExhausted)}`);
        scenarios[name] = scope({ kind: 'schedule', schedule: parseSchedule(scenario.schedule, `${where}.schedule`), onExhausted: onExhausted as OnExhausted });
      }
    }
  }
  return Object.freeze({
    allowHeaders,
    seed,
    global,
    deployments,
    scenarios,
    cursors: new SharedArrayBuffer(Math.max(1, slots) * Uint32Array.BYTES_PER_ELEMENT),
    epoch,
    wire: Object.freeze({ ...value, allow_headers: allowHeaders, seed }),
  });
}

/** A fault configuration as the shared store (Redis) keeps it, in JSON: as written, and its epoch. */
export interface StoredFaults {
  readonly wire: Readonly<Record<string, unknown>>;
  readonly epoch: string;
}

export const faultsToStore = (config: FaultConfig | null): StoredFaults | null => (config ? { wire: config.wire, epoch: config.epoch } : null);

/** Parsed again (it was valid when stored), with the same epoch: every replica shares the scopes' cursors. */
export function faultsFromStore(stored: StoredFaults | null | undefined): FaultConfig | null {
  if (!stored || typeof stored !== 'object' || !('wire' in stored)) return null;
  return parseFaultConfig(stored.wire, 'faults', false, String(stored.epoch));
}
