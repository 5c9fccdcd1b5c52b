/**
 * Which fault (if any) a request gets, as pure functions: the scope that decides (highest first: a
 * request header's fault, a named scenario, the deployment's rates, the global rates), then the
 * scope's pick for the request's place in that scope's sequence (its ordinal).
 *
 * Repeatable: a rate draw is `u = hash(seed, slot, ordinal)`, not a stateful generator, so the same
 * seed and the same order of requests give the same faults, whichever thread answers each. The
 * ordinal comes from a `Sequences` — one counter per scope. The process-wide one is a
 * SharedArrayBuffer every front-end thread increments atomically (as the rate windows are shared);
 * the Redis backend of the scale-out issue implements the same interface with `INCR` (a promise),
 * so a schedule holds across replicas too.
 */
import { own } from '../config/bounds.js';
import { parseFaultSpec, type FaultConfig, type Scope } from './config.js';
import type { FaultSpec } from './catalogue.js';

/** Where the scope state lives: the next ordinal of a scope (0 for its first request). */
export interface Sequences {
  next(slot: number): number | Promise<number>;
}

/** The in-process sequences: one Uint32 per scope in shared memory, `Atomics.add` per request. */
export class SharedSequences implements Sequences {
  readonly #cells: Uint32Array;
  constructor(buffer: SharedArrayBuffer) {
    this.#cells = new Uint32Array(buffer);
  }
  next(slot: number): number {
    return Atomics.add(this.#cells, slot, 1);
  }
}

export type FaultSource = 'header' | 'scenario' | 'deployment' | 'global';

/** What decides a request: a fault already (header), a scope to draw from, or nothing. */
export type Decider =
  | { readonly kind: 'fault'; readonly fault: FaultSpec; readonly source: 'header' }
  | { readonly kind: 'scope'; readonly scope: Scope; readonly source: Exclude<FaultSource, 'header'> }
  | { readonly kind: 'unknown-scenario'; readonly name: string }
  | null;

/**
 * The request's decider. `faultHeader` / `scenarioHeader`: the request's `x-simulator-fault` and
 * `x-simulator-scenario` values ('' when absent). The fault header is honoured only when
 * `allow_headers` is on (else ignored); a malformed one throws FaultConfigError (a 400 naming it).
 * The most specific configured scope decides alone: a deployment with rates does not fall through
 * to the global ones.
 */
export function decider(config: FaultConfig, faultHeader: string, scenarioHeader: string, deployment: string): Decider {
  if (faultHeader !== '' && config.allowHeaders) return { kind: 'fault', fault: parseFaultSpec(faultHeader, 'x-simulator-fault'), source: 'header' };
  if (scenarioHeader !== '') {
    const scope = own(config.scenarios, scenarioHeader);
    return scope ? { kind: 'scope', scope, source: 'scenario' } : { kind: 'unknown-scenario', name: scenarioHeader };
  }
  const deployments = own(config.deployments, deployment);
  if (deployments) return { kind: 'scope', scope: deployments, source: 'deployment' };
  if (config.global) return { kind: 'scope', scope: config.global, source: 'global' };
  return null;
}

/** The scope's fault for its `ordinal`-th request, or null (answer normally). */
export function pick(scope: Scope, seed: number, ordinal: number): FaultSpec | null {
  const { picker } = scope;
  if (picker.kind === 'schedule') {
    const { schedule } = picker;
    if (ordinal < schedule.length) return schedule[ordinal]!;
    if (picker.onExhausted === 'loop') return schedule[ordinal % schedule.length]!;
    if (picker.onExhausted === 'repeat_last') return schedule[schedule.length - 1]!;
    return null;
  }
  const u = unitDraw(seed, scope.slot, ordinal);
  let edge = 0;
  for (const { fault, rate } of picker.rates) {
    edge += rate;
    if (u < edge) return fault;
  }
  return null;
}

/** A 32-bit integer mixer (the "lowbias32" finaliser): every input bit moves about half the output bits. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A uniform number in [0, 1) from (seed, slot, ordinal): 53 bits from two mixed words. */
export function unitDraw(seed: number, slot: number, ordinal: number): number {
  const a = mix32(seed ^ mix32(Math.imul(slot + 1, 0x9e3779b9) ^ mix32(ordinal >>> 0)));
  const b = mix32(a ^ 0x85ebca6b ^ mix32((ordinal >>> 0) + 0x632be5ab));
  return (a * 2 ** 21 + (b >>> 11)) / 2 ** 53;
}
