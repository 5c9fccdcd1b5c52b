/**
 * The Python simulator's rate-limit windows (facts §8.2, §8.3), over typed arrays.
 *
 * A window's whole state lives in one ArrayBuffer — or SharedArrayBuffer: the same code then
 * serves every front-end thread, each taking the window's lock (`withLock`) around `add`, so one
 * deployment's budget is one budget whatever the number of threads. Entries are a ring of
 * (timestamp, cost) in arrival order; timestamps are seconds.
 *
 * Layout: Int32 header [lock, start, count, capacity] (16 bytes), then Float64 times[capacity],
 * then Float64 costs[capacity].
 */

export type Admission =
  | { readonly allowed: true; readonly remainingTokens: number; readonly remainingRequests: number }
  | { readonly allowed: false; readonly reason: 'tokens' | 'requests'; readonly retryAfterSeconds: number; readonly retryAfterMs: number }
  /** A request that can never fit (its cost alone exceeds the budget): the Python version's 500. */
  | { readonly allowed: false; readonly reason: 'too-large' };

const HEADER_INTS = 4;
const LOCK = 0;
const START = 1;
const COUNT = 2;
const CAPACITY = 3;

export function windowBytes(capacity: number): number {
  return HEADER_INTS * 4 + capacity * 16;
}

/** Allocates a window's memory; `shared` for use from several threads. */
export function allocateWindow(capacity: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  const buffer = shared ? new SharedArrayBuffer(windowBytes(capacity)) : new ArrayBuffer(windowBytes(capacity));
  new Int32Array(buffer, 0, HEADER_INTS)[CAPACITY] = capacity;
  return buffer;
}

/** The ring of (time, cost) entries of one window. */
class Ring {
  readonly header: Int32Array;
  readonly times: Float64Array;
  readonly costs: Float64Array;

  constructor(buffer: ArrayBuffer | SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_INTS);
    const capacity = this.header[CAPACITY]!;
    this.times = new Float64Array(buffer, HEADER_INTS * 4, capacity);
    this.costs = new Float64Array(buffer, HEADER_INTS * 4 + capacity * 8, capacity);
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
    while (this.header[COUNT]! > 0 && this.times[this.header[START]!]! <= cutoff) {
      this.header[START] = (this.header[START]! + 1) % this.header[CAPACITY]!;
      this.header[COUNT]!--;
    }
  }

  push(time: number, cost: number): void {
    const i = this.at(this.header[COUNT]!);
    this.times[i] = time;
    this.costs[i] = cost;
    this.header[COUNT]!++;
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
 * Tokens per minute over 60 s, plus ceil(TPM / 1000) requests per 10 s (facts §8.2). The truth
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
    return this.#ring.withLock(() => this.#add(cost, now));
  }

  #add(cost: number, now: number): Admission {
    const ring = this.#ring;
    const tpm = this.tokensPerMinute;
    const rp10 = this.requestsPer10s;
    if (cost > tpm || rp10 === 0) return { allowed: false, reason: 'too-large' };
    ring.purge(now - 60);
    let requests10 = 1;
    let tokens60 = cost;
    let rc = 1;
    let tc = cost;
    let requestsFullTime = -Infinity;
    let tokensFullTime = -Infinity;
    for (let k = ring.count - 1; k >= 0; k--) {
      const i = ring.at(k);
      const time = ring.times[i]!;
      const entryCost = ring.costs[i]!;
      if (time > now - 10) requests10++;
      tokens60 += entryCost;
      if (rc <= rp10) {
        rc++;
        if (rc > rp10 && requestsFullTime === -Infinity) requestsFullTime = time;
      }
      if (tc <= tpm) {
        tc += entryCost;
        if (tc > tpm && tokensFullTime === -Infinity) tokensFullTime = time;
      }
    }
    if (tokens60 > tpm || requests10 > rp10 || ring.full) {
      if (cost === tpm && requestsFullTime === -Infinity && tokensFullTime === -Infinity && ring.count > 0) {
        tokensFullTime = ring.times[ring.at(ring.count - 1)]!;
      }
      const ttrRequests = 10 - (now - requestsFullTime);
      const ttrTokens = 60 - (now - tokensFullTime);
      const reason = ttrRequests > ttrTokens ? 'requests' : 'tokens';
      const wait = Math.max(reason === 'requests' ? ttrRequests : ttrTokens, 0.001);
      return { allowed: false, reason, retryAfterSeconds: Math.ceil(wait), retryAfterMs: Math.ceil(wait * 1000) };
    }
    ring.push(now, cost);
    return { allowed: true, remainingTokens: tpm - tokens60, remainingRequests: rp10 - requests10 };
  }
}

/** Requests per minute over 60 s, for request-limited (whisper) deployments (facts §8.3). */
export class RequestWindow {
  readonly #ring: Ring;

  static capacityFor(requestsPerMinute: number): number {
    return requestsPerMinute + 1;
  }

  constructor(
    buffer: ArrayBuffer | SharedArrayBuffer,
    readonly requestsPerMinute: number,
  ) {
    this.#ring = new Ring(buffer);
  }

  add(now: number): Admission {
    return this.#ring.withLock(() => {
      const ring = this.#ring;
      if (this.requestsPerMinute === 0) return { allowed: false, reason: 'too-large' } as const;
      ring.purge(now - 60);
      if (ring.count >= this.requestsPerMinute) {
        const wait = Math.max(60 - (now - ring.times[ring.at(0)]!), 0.001);
        return { allowed: false, reason: 'requests', retryAfterSeconds: Math.ceil(wait), retryAfterMs: Math.ceil(wait * 1000) } as const;
      }
      ring.push(now, 1);
      return { allowed: true, remainingTokens: 0, remainingRequests: this.requestsPerMinute - ring.count } as const;
    });
  }
}
