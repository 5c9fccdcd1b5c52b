/**
 * The Python simulator's rate-limit windows (python-compatibility.md §7.1, §7.2), over typed arrays.
 *
 * A window's whole state lives in one ArrayBuffer — or SharedArrayBuffer: the same code then
 * serves every front-end thread, each taking the window's lock (`withLock`) around `add`, so one
 * deployment's budget is one budget whatever the number of threads. Entries are a ring of
 * (timestamp, cost, requests) in arrival order, one per distinct instant; timestamps are seconds.
 *
 * Layout: Int32 header [lock, start, count, capacity, old10, pad] (24 bytes), Float64 running
 * [cost total, request total], then five Float64 arrays of `capacity`: times, costs, running cost
 * totals, requests, running request totals. Capacity is capped at MAX_WINDOW_ENTRIES.
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
/** Entries in the ring (an entry is every request admitted at one instant). */
const COUNT = 2;
const CAPACITY = 3;
/** How many of the oldest entries are at least 10 s old (moves forward as time passes). */
const OLD10 = 4;
/** Float64 slots after the Int32 header: running totals of every cost and request ever added. */
const FLOAT_HEADERS = 2;
const ARRAYS = 5;

/**
 * The most entries a window ever needs, whatever its limit: requests admitted at the same instant
 * share one entry, and the limiter's clock (`Date.now()`) has millisecond resolution, so a 60 s
 * window holds at most 60,001 distinct instants (plus one for rounding at the cut-off). A window
 * is therefore at most ~2.4 MB, for 1,000 TPM or 10^9 TPM alike. Only a caller passing sub-
 * millisecond times at more than ~1,000 admissions a second could fill it; then the newest entry
 * absorbs the request (it counts as made at that entry's time, at most a few ms earlier).
 */
export const MAX_WINDOW_ENTRIES = 60_002;

export function windowBytes(capacity: number): number {
  return HEADER_INTS * 4 + FLOAT_HEADERS * 8 + boundedCapacity(capacity) * 8 * ARRAYS;
}

const boundedCapacity = (capacity: number): number => Math.max(1, Math.min(Math.ceil(capacity), MAX_WINDOW_ENTRIES));

/** Allocates a window's memory; `shared` for use from several threads. Capacity is capped (see above). */
export function allocateWindow(capacity: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  const entries = boundedCapacity(capacity);
  const buffer = shared ? new SharedArrayBuffer(windowBytes(entries)) : new ArrayBuffer(windowBytes(entries));
  new Int32Array(buffer, 0, HEADER_INTS)[CAPACITY] = entries;
  return buffer;
}

/**
 * The ring of (time, cost, requests, running totals) entries of one window. The running totals
 * make the window's sums O(1) and the "when did the budget fill" searches O(log n), so a
 * deployment with a huge limit costs no more per request than a small one. Requests that arrive
 * at the same instant share an entry: that changes no answer (every rule looks at times, and an
 * instant's requests all have the same one), and bounds the memory by the clock's resolution
 * instead of by the limit.
 */
class Ring {
  readonly header: Int32Array;
  /** [0]: running cost total; [1]: running request total. */
  readonly total: Float64Array;
  readonly times: Float64Array;
  readonly costs: Float64Array;
  /** Running cost total up to and including each entry. */
  readonly totals: Float64Array;
  /** Requests in each entry, and the running request total up to and including it. */
  readonly requests: Float64Array;
  readonly requestTotals: Float64Array;

  constructor(buffer: ArrayBuffer | SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    const capacity = this.header[CAPACITY]!;
    const base = HEADER_INTS * 4;
    this.total = new Float64Array(buffer, base, FLOAT_HEADERS);
    const arrays = base + FLOAT_HEADERS * 8;
    const array = (i: number): Float64Array => new Float64Array(buffer, arrays + capacity * 8 * i, capacity);
    this.times = array(0);
    this.costs = array(1);
    this.totals = array(2);
    this.requests = array(3);
    this.requestTotals = array(4);
  }

  get count(): number {
    return this.header[COUNT]!;
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

  /** Running request total before entry k (0 = oldest). */
  #requestsBefore(k: number): number {
    const i = this.at(k);
    return this.requestTotals[i]! - this.requests[i]!;
  }

  /** Requests in entries newer than `cutoff`. */
  requestsNewerThan(cutoff: number): number {
    const h = this.header;
    while (h[OLD10]! < h[COUNT]! && this.times[this.at(h[OLD10]!)]! <= cutoff) h[OLD10]!++;
    return h[OLD10]! < h[COUNT]! ? this.total[1]! - this.#requestsBefore(h[OLD10]!) : 0;
  }

  /** Requests in the ring. */
  requestCount(): number {
    return this.count === 0 ? 0 : this.total[1]! - this.#requestsBefore(0);
  }

  /** Sum of the costs of every entry in the ring. */
  sum(): number {
    if (this.count === 0) return 0;
    const oldest = this.at(0);
    return this.total[0]! - this.totals[oldest]! + this.costs[oldest]!;
  }

  push(time: number, cost: number): void {
    const h = this.header;
    const count = h[COUNT]!;
    const newest = count > 0 ? this.at(count - 1) : -1;
    this.total[0] = this.total[0]! + cost;
    this.total[1] = this.total[1]! + 1;
    if (newest >= 0 && (this.times[newest] === time || count === h[CAPACITY])) {
      this.costs[newest] = this.costs[newest]! + cost;
      this.totals[newest] = this.total[0]!;
      this.requests[newest] = this.requests[newest]! + 1;
      this.requestTotals[newest] = this.total[1]!;
      return;
    }
    const i = this.at(count);
    this.times[i] = time;
    this.costs[i] = cost;
    this.totals[i] = this.total[0]!;
    this.requests[i] = 1;
    this.requestTotals[i] = this.total[1]!;
    h[COUNT]!++;
  }

  /**
   * The newest entry k (0 = oldest) whose running total before it is below `threshold`, or -1:
   * where a walk from the newest request, adding costs, first passes the budget. (Within an
   * entry the first request has the lowest total before it, so the entry answers for all.)
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

  /** The time of the n-th oldest request in the ring (0-based; n < requestCount()). */
  timeOfRequest(n: number): number {
    const base = this.#requestsBefore(0);
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.requestTotals[this.at(mid)]! - base > n) hi = mid;
      else lo = mid + 1;
    }
    return this.times[this.at(lo)]!;
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

  /** Entries the window needs: every request admitted in 60 s, at most one per millisecond. */
  static capacityFor(requestsPer10s: number): number {
    return Math.min(6 * requestsPer10s + 1, MAX_WINDOW_ENTRIES);
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
    const requests10 = 1 + ring.requestsNewerThan(now - 10);
    const tokens60 = cost + ring.sum();
    if (tokens60 > tpm || requests10 > rp10) {
      // When each budget filled, as the Python walk from the newest entry finds it: the requests
      // budget at the rp10-th newest request, the tokens budget where cost + the newer requests'
      // costs first pass TPM.
      const count = ring.requestCount();
      const requestsFullTime = count >= rp10 ? ring.timeOfRequest(count - rp10) : -Infinity;
      const k = ring.lastBelow(cost + ring.total[0]! - tpm);
      let tokensFullTime = k >= 0 ? ring.times[ring.at(k)]! : -Infinity;
      if (cost === tpm && requestsFullTime === -Infinity && tokensFullTime === -Infinity && ring.count > 0) {
        tokensFullTime = ring.times[ring.at(ring.count - 1)]!;
      }
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

  /** Entries the window needs: every request admitted in the window, at most one per millisecond. */
  static capacityFor(requests: number, windowSeconds = 60): number {
    return Math.min(requests + 1, Math.ceil(windowSeconds * 1000) + 2, MAX_WINDOW_ENTRIES);
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
    const count = ring.requestCount();
    if (count >= this.requestsPerMinute) {
      const wait = Math.max(this.windowSeconds - (now - ring.times[ring.at(0)]!), 0.001);
      return { allowed: false, reason: 'requests', retryAfterSeconds: Math.ceil(wait), retryAfterMs: Math.ceil(wait * 1000), remainingTokens: 0, remainingRequests: 0 } as const;
    }
    if (charge) ring.push(now, 1);
    return { allowed: true, remainingTokens: 0, remainingRequests: this.requestsPerMinute - count - 1 } as const;
  }
}

/** The bytes of the window a deployment's limits need (0 without limits): what `limitSpecFor` allocates. */
export function limitBytes(limitKind: 'tokens' | 'requests', tokensPerMinute: number, requestsPerMinute: number): number {
  if (limitKind === 'tokens' && tokensPerMinute > 0) return windowBytes(TokenWindow.capacityFor(TokenWindow.requestsPer10sFor(tokensPerMinute)));
  if (limitKind === 'requests' && requestsPerMinute > 0) return windowBytes(RequestWindow.capacityFor(requestsPerMinute));
  return 0;
}
