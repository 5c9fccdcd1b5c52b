/**
 * The Python simulator's rate-limit windows (python-compatibility.md §7.1, §7.2), over typed arrays.
 *
 * A window's whole state lives in one ArrayBuffer — or SharedArrayBuffer: the same code then
 * serves every front-end thread, each taking the window's lock (`withLock`) around `add`, so one
 * deployment's budget is one budget whatever the number of threads. Entries are a ring of
 * (timestamp, cost, running total) in arrival order; timestamps are seconds.
 *
 * Layout: an Int32 header of 6 slots [lock, start, count, capacity, old10, padding] (24 bytes, so
 * the Float64s after it are 8-byte aligned), a Float64 running total of every cost ever added,
 * then three Float64 arrays of `capacity`: times, costs, and the running total after each entry.
 */

export type Admission =
  | { readonly allowed: true; readonly remainingTokens: number; readonly remainingRequests: number }
  | {
      readonly allowed: false;
      readonly reason: 'tokens' | 'requests';
      readonly retryAfterSeconds: number;
      readonly retryAfterMs: number;
      /** What is left of each budget now (AOAI sends it on the 429 too). */
      readonly remainingTokens: number;
      readonly remainingRequests: number;
    }
  /** A request that can never fit (its cost alone exceeds the budget): the Python version's 500. */
  | { readonly allowed: false; readonly reason: 'too-large' };

const HEADER_INTS = 6;
const LOCK = 0;
const START = 1;
const COUNT = 2;
const CAPACITY = 3;
/** How many of the oldest entries are at least 10 s old (moves forward as time passes). */
const OLD10 = 4;
/** Float64 slot after the Int32 header: the running cost total of everything ever added. */
const FLOAT_HEADER_BYTES = 8;
const ARRAYS = 3;

export function windowBytes(capacity: number): number {
  return HEADER_INTS * 4 + FLOAT_HEADER_BYTES + capacity * 8 * ARRAYS;
}

/** Allocates a window's memory; `shared` for use from several threads. */
export function allocateWindow(capacity: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  const buffer = shared ? new SharedArrayBuffer(windowBytes(capacity)) : new ArrayBuffer(windowBytes(capacity));
  new Int32Array(buffer, 0, HEADER_INTS)[CAPACITY] = capacity;
  return buffer;
}

/**
 * The ring of (time, cost, running total) entries of one window. The running totals make the
 * window's sums O(1) and the "when did the budget fill" search O(log n), so a deployment with a
 * huge limit (600,000 entries a minute) costs no more per request than a small one.
 */
class Ring {
  readonly header: Int32Array;
  readonly total: Float64Array;
  readonly times: Float64Array;
  readonly costs: Float64Array;
  /** Running cost total up to and including each entry. */
  readonly totals: Float64Array;

  constructor(buffer: ArrayBuffer | SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    const capacity = this.header[CAPACITY]!;
    const base = HEADER_INTS * 4;
    this.total = new Float64Array(buffer, base, 1);
    this.times = new Float64Array(buffer, base + FLOAT_HEADER_BYTES, capacity);
    this.costs = new Float64Array(buffer, base + FLOAT_HEADER_BYTES + capacity * 8, capacity);
    this.totals = new Float64Array(buffer, base + FLOAT_HEADER_BYTES + capacity * 16, capacity);
  }

  get count(): number {
    return this.header[COUNT]!;
  }

  get full(): boolean {
    return this.header[COUNT] === this.header[CAPACITY];
  }

  /** Index of the i-th oldest entry. */
  at(i: number): number {
    return (this.header[START]! + i) % this.header[CAPACITY]!;
  }

  /** Drops entries at or before `cutoff` (oldest first). */
  purge(cutoff: number): void {
    const h = this.header;
    while (h[COUNT]! > 0 && this.times[h[START]!]! <= cutoff) {
      h[START] = (h[START]! + 1) % h[CAPACITY]!;
      h[COUNT]!--;
      if (h[OLD10]! > 0) h[OLD10]!--;
    }
  }

  /** Entries newer than `cutoff`, counted from the newest end. */
  newerThan(cutoff: number): number {
    const h = this.header;
    while (h[OLD10]! < h[COUNT]! && this.times[this.at(h[OLD10]!)]! <= cutoff) h[OLD10]!++;
    return h[COUNT]! - h[OLD10]!;
  }

  /** Sum of the costs of every entry in the ring. */
  sum(): number {
    if (this.count === 0) return 0;
    const oldest = this.at(0);
    return this.total[0]! - this.totals[oldest]! + this.costs[oldest]!;
  }

  push(time: number, cost: number): void {
    const i = this.at(this.header[COUNT]!);
    this.total[0] = this.total[0]! + cost;
    this.times[i] = time;
    this.costs[i] = cost;
    this.totals[i] = this.total[0]!;
    this.header[COUNT]!++;
  }

  /**
   * The newest entry k (0 = oldest) whose running total before it is below `threshold`, or -1:
   * where a walk from the newest entry, adding costs, first passes the budget.
   */
  lastBelow(threshold: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const i = this.at(mid);
      if (this.totals[i]! - this.costs[i]! < threshold) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Runs `fn` holding the window's lock: a spin on Atomics.compareExchange, held for the few
   * microseconds an `add` takes. Only meaningful over a SharedArrayBuffer.
   */
  withLock<T>(fn: () => T): T {
    while (Atomics.compareExchange(this.header, LOCK, 0, 1) !== 0) {
      // Another thread is inside `add`; it leaves within microseconds.
    }
    try {
      return fn();
    } finally {
      Atomics.store(this.header, LOCK, 0);
    }
  }
}

/**
 * Tokens per minute over 60 s, plus ceil(TPM / 1000) requests per 10 s (python-compatibility.md §7.1). The truth
 * tables of the Python tests hold (see test/unit/sliding-window.test.ts).
 */
export class TokenWindow {
  readonly #ring: Ring;

  /** The requests rule: ceil(TPM / 1000) per 10 s (6 requests a minute per 1,000 TPM). */
  static requestsPer10sFor(tokensPerMinute: number): number {
    return Math.ceil(tokensPerMinute / 1000);
  }

  /** Entries the window must hold: every request admitted in 60 s. */
  static capacityFor(requestsPer10s: number): number {
    return 6 * requestsPer10s + 1;
  }

  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    readonly tokensPerMinute: number,
    readonly requestsPer10s = TokenWindow.requestsPer10sFor(tokensPerMinute),
  ) {
    this.#ring = new Ring(buffer);
  }

  add(cost: number, now: number): Admission {
    return this.#ring.withLock(() => this.#add(cost, now, true));
  }

  /** What `add` would answer now, without charging: lets a caller skip work for a certain 429. */
  check(cost: number, now: number): Admission {
    return this.#ring.withLock(() => this.#add(cost, now, false));
  }

  #add(cost: number, now: number, charge: boolean): Admission {
    const ring = this.#ring;
    const tpm = this.tokensPerMinute;
    const rp10 = this.requestsPer10s;
    if (cost > tpm || rp10 === 0) return { allowed: false, reason: 'too-large' };
    ring.purge(now - 60);
    const requests10 = 1 + ring.newerThan(now - 10);
    const tokens60 = cost + ring.sum();
    if (tokens60 > tpm || requests10 > rp10 || ring.full) {
      // When each budget filled, as the Python walk from the newest entry finds it: the requests
      // budget at the rp10-th newest entry, the tokens budget where cost + the newer entries'
      // costs first pass TPM.
      const count = ring.count;
      let requestsFullTime = count >= rp10 ? ring.times[ring.at(count - rp10)]! : -Infinity;
      const k = ring.lastBelow(cost + ring.total[0]! - tpm);
      let tokensFullTime = k >= 0 ? ring.times[ring.at(k)]! : -Infinity;
      if (cost === tpm && requestsFullTime === -Infinity && tokensFullTime === -Infinity && count > 0) {
        tokensFullTime = ring.times[ring.at(count - 1)]!;
      }
      if (ring.full && requestsFullTime === -Infinity) requestsFullTime = ring.times[ring.at(0)]!;
      const ttrRequests = 10 - (now - requestsFullTime);
      const ttrTokens = 60 - (now - tokensFullTime);
      const reason = ttrRequests > ttrTokens ? 'requests' : 'tokens';
      const wait = Math.max(reason === 'requests' ? ttrRequests : ttrTokens, 0.001);
      return {
        allowed: false,
        reason,
        retryAfterSeconds: Math.ceil(wait),
        retryAfterMs: Math.ceil(wait * 1000),
        remainingTokens: Math.max(0, tpm - ring.sum()),
        remainingRequests: Math.max(0, rp10 - requests10 + 1),
      };
    }
    if (charge) ring.push(now, cost);
    return { allowed: true, remainingTokens: tpm - tokens60, remainingRequests: rp10 - requests10 };
  }
}

/**
 * Requests per minute over 60 s, for request-limited (whisper) deployments (python-compatibility.md §7.2); with
 * another `windowSeconds`, n requests per that window (extensions' requests-per-second limiters).
 */
export class RequestWindow {
  readonly #ring: Ring;

  static capacityFor(requestsPerMinute: number): number {
    return requestsPerMinute + 1;
  }

  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    readonly requestsPerMinute: number,
    readonly windowSeconds = 60,
  ) {
    this.#ring = new Ring(buffer);
  }

  add(now: number): Admission {
    return this.#ring.withLock(() => this.#add(now, true));
  }

  /** What `add` would answer now, without charging. */
  check(now: number): Admission {
    return this.#ring.withLock(() => this.#add(now, false));
  }

  #add(now: number, charge: boolean): Admission {
    const ring = this.#ring;
    if (this.requestsPerMinute === 0) return { allowed: false, reason: 'too-large' } as const;
    ring.purge(now - this.windowSeconds);
    if (ring.count >= this.requestsPerMinute) {
      const wait = Math.max(this.windowSeconds - (now - ring.times[ring.at(0)]!), 0.001);
      return { allowed: false, reason: 'requests', retryAfterSeconds: Math.ceil(wait), retryAfterMs: Math.ceil(wait * 1000), remainingTokens: 0, remainingRequests: 0 } as const;
    }
    if (!charge) return { allowed: true, remainingTokens: 0, remainingRequests: this.requestsPerMinute - ring.count - 1 } as const;
    ring.push(now, 1);
    return { allowed: true, remainingTokens: 0, remainingRequests: this.requestsPerMinute - ring.count } as const;
  }
}
