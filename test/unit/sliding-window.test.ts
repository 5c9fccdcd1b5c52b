/**
 * The Python simulator's rate-limit truth tables (python-compatibility.md §7.1 for tokens, §7.2 for requests), over
 * the typed-array windows — plain and shared memory alike.
 */
import { describe, expect, it } from 'vitest';
import { allocateWindow, MAX_WINDOW_ENTRIES, RequestWindow, TokenWindow, windowBytes, type Admission } from '../../src/core/limits/sliding-window.js';

/** A token window; the Python tables use 100 TPM with 10 requests per 10 s, set explicitly. */
function tokens(tpm: number, rp10 = TokenWindow.requestsPer10sFor(tpm), shared = false): TokenWindow {
  return new TokenWindow(allocateWindow(TokenWindow.capacityFor(rp10), shared), tpm, rp10);
}

function rejected(a: Admission): { reason: string; retryAfterSeconds: number } {
  if (a.allowed || a.reason === 'too-large') throw new Error(`expected a rejection, got ${JSON.stringify(a)}`);
  return a;
}

describe.each([false, true])('TokenWindow (shared memory: %s)', (shared) => {
  it('first request: remaining 9 requests and 95 tokens', () => {
    expect(tokens(100, 10, shared).add(5, 1)).toEqual({ allowed: true, remainingTokens: 95, remainingRequests: 9 });
  });

  it('ten requests at t=1..10 leave (0, 50); one at t=11 is allowed with (0, 45)', () => {
    const w = tokens(100, 10, shared);
    let last: Admission | undefined;
    for (let t = 1; t <= 10; t++) last = w.add(5, t);
    expect(last).toEqual({ allowed: true, remainingTokens: 50, remainingRequests: 0 });
    expect(w.add(5, 11)).toEqual({ allowed: true, remainingTokens: 45, remainingRequests: 0 });
  });

  it('requests at t=2, 3×8, 4, then t=5: rejected for requests, retry after 7', () => {
    const w = tokens(100, 10, shared);
    w.add(5, 2);
    for (let i = 0; i < 8; i++) w.add(5, 3);
    w.add(5, 4);
    expect(rejected(w.add(5, 5))).toMatchObject({ reason: 'requests', retryAfterSeconds: 7 });
  });

  it.each([
    [[20, 20, 20, 40], 20, 20],
    [[20, 20, 20, 40], 40, 30],
    [[20, 20, 20, 40], 100, 50],
    [[24, 24, 24, 24], 20, 20],
    [[24, 24, 24, 24], 40, 30],
    [[24, 24, 24, 24], 100, 50],
  ])('costs %j at t=10,20,30,40, then %i at t=50: tokens, retry after %i', (costs, cost, retry) => {
    const w = tokens(100, 10, shared);
    costs.forEach((c, i) => expect(w.add(c, 10 * (i + 1)).allowed).toBe(true));
    expect(rejected(w.add(cost, 50))).toMatchObject({ reason: 'tokens', retryAfterSeconds: retry });
  });

  it('100 at t=10, then 100 at t=20: tokens, retry after 50', () => {
    const w = tokens(100, 10, shared);
    expect(w.add(100, 10).allowed).toBe(true);
    expect(rejected(w.add(100, 20))).toMatchObject({ reason: 'tokens', retryAfterSeconds: 50 });
  });

  it('100,000 TPM: 500 requests of 200 every 0.100001 s pass; the next waits 10 s; allowed again after', () => {
    const w = tokens(100_000, undefined, shared);
    expect(w.requestsPer10s).toBe(100);
    let t = 0;
    for (let i = 0; i < 500; i++, t += 0.100001) expect(w.add(200, t).allowed).toBe(true);
    const r = rejected(w.add(200, t));
    expect(r).toMatchObject({ reason: 'tokens', retryAfterSeconds: 10 });
    for (let s = 1; s < 9; s++) expect(w.add(200, t + s).allowed).toBe(false);
    expect(w.add(200, t + 10.1).allowed).toBe(true);
  });

  it('a cost above the budget, or a 0-TPM deployment, is "too-large" (the Python version answered 500)', () => {
    expect(tokens(100, 10, shared).add(101, 1)).toEqual({ allowed: false, reason: 'too-large' });
    expect(tokens(0, undefined, shared).add(1, 1)).toEqual({ allowed: false, reason: 'too-large' });
  });

  it('ceil(TPM/1000) requests per 10 s: 384 TPM allows one request per 10 s', () => {
    const w = tokens(384, undefined, shared);
    expect(w.add(50, 1).allowed).toBe(true);
    expect(rejected(w.add(50, 2))).toMatchObject({ reason: 'requests', retryAfterSeconds: 9 });
    expect(w.add(50, 11.5).allowed).toBe(true);
  });
});

describe('RequestWindow', () => {
  const window = (rpm: number): RequestWindow => new RequestWindow(allocateWindow(RequestWindow.capacityFor(rpm), false), rpm);

  it('rpm 60: first request leaves 59', () => {
    expect(window(60).add(1)).toMatchObject({ allowed: true, remainingRequests: 59 });
  });

  it('rpm 10, t=1..10 leave 9..0; t=61 is allowed again with 0 left', () => {
    const w = window(10);
    for (let t = 1; t <= 10; t++) expect(w.add(t)).toMatchObject({ allowed: true, remainingRequests: 10 - t });
    expect(w.add(61)).toMatchObject({ allowed: true, remainingRequests: 0 });
  });

  it('rpm 10, t=2, 3×8, 4, then t=5: retry after 57', () => {
    const w = window(10);
    w.add(2);
    for (let i = 0; i < 8; i++) w.add(3);
    w.add(4);
    expect(rejected(w.add(5))).toMatchObject({ reason: 'requests', retryAfterSeconds: 57 });
  });

  it('rpm 1000: 1000 rapid requests, the next waits ≥ 59 s, allowed again at start + 60', () => {
    const w = window(1000);
    let last: Admission | undefined;
    for (let i = 0; i < 1000; i++) last = w.add(100 + i * 0.0001);
    expect(last).toMatchObject({ allowed: true, remainingRequests: 0 });
    expect(rejected(w.add(100.2)).retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(w.add(160.1).allowed).toBe(true);
  });

  it('rpm 0 is "too-large", not a crash', () => {
    expect(window(0).add(1)).toEqual({ allowed: false, reason: 'too-large' });
  });

  it('check() foretells add() without charging', () => {
    const w = window(2);
    for (let i = 0; i < 5; i++) expect(w.check(1)).toEqual({ allowed: true, remainingTokens: 0, remainingRequests: 1 });
    expect(w.add(1)).toEqual({ allowed: true, remainingTokens: 0, remainingRequests: 1 });
    expect(w.check(2)).toEqual(w.add(2));
    expect(w.check(3)).toMatchObject({ allowed: false, reason: 'requests', retryAfterSeconds: 58 });
    expect(rejected(w.add(3)).retryAfterSeconds).toBe(58);
  });
});

describe('one budget across threads', () => {
  it('two threads hammering one shared window admit exactly the budget, no more', async () => {
    const { Worker } = await import('node:worker_threads');
    const { fileURLToPath } = await import('node:url');
    const module = fileURLToPath(new URL('../../dist/src/core/limits/sliding-window.js', import.meta.url));
    const rp10 = 1_000;
    const buffer = allocateWindow(TokenWindow.capacityFor(rp10), true);
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      import(workerData.module).then(({ TokenWindow }) => {
        const w = new TokenWindow(workerData.buffer, 1_000_000, ${rp10});
        let allowed = 0;
        for (let i = 0; i < 2_000; i++) if (w.add(1, 5).allowed) allowed++;
        parentPort.postMessage(allowed);
      });`;
    const run = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const worker = new Worker(source, { eval: true, workerData: { buffer, module } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a + b).toBe(rp10);
  });
});

/** The Python algorithm as written (python-compatibility.md §7.1): a walk over every entry, newest first. */
function pythonWindow(tpm: number, rp10: number) {
  const entries: { t: number; c: number }[] = [];
  return (cost: number, now: number): Admission => {
    while (entries.length > 0 && entries[0]!.t <= now - 60) entries.shift();
    let req10 = 1;
    let tok60 = cost;
    for (const e of entries) {
      if (e.t > now - 10) req10++;
      tok60 += e.c;
    }
    let rc = 1;
    let tc = cost;
    let requestsFull = -Infinity;
    let tokensFull = -Infinity;
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      if (rc <= rp10) {
        rc++;
        if (rc > rp10 && requestsFull === -Infinity) requestsFull = e.t;
      }
      if (tc <= tpm) {
        tc += e.c;
        if (tc > tpm && tokensFull === -Infinity) tokensFull = e.t;
      }
    }
    if (tok60 > tpm || req10 > rp10) {
      if (cost === tpm && requestsFull === -Infinity && tokensFull === -Infinity && entries.length > 0) tokensFull = entries.at(-1)!.t;
      const ttrR = 10 - (now - requestsFull);
      const ttrT = 60 - (now - tokensFull);
      const reason = ttrR > ttrT ? 'requests' : 'tokens';
      const wait = Math.max(reason === 'requests' ? ttrR : ttrT, 0.001);
      // What is left of each budget now (not in the Python answer; AOAI sends it on a 429).
      const remainingTokens = Math.max(0, tpm - (tok60 - cost));
      const remainingRequests = Math.max(0, rp10 - (req10 - 1));
      return { allowed: false, reason, retryAfterSeconds: Math.ceil(wait), retryAfterMs: Math.ceil(wait * 1000), remainingTokens, remainingRequests };
    }
    entries.push({ t: now, c: cost });
    return { allowed: true, remainingTokens: tpm - tok60, remainingRequests: rp10 - req10 };
  };
}

describe('TokenWindow against the Python algorithm', () => {
  it('gives the same answer as the entry-by-entry walk on long random sequences', async () => {
    const { seededRandom } = await import('../../src/core/random.js');
    for (const [tpm, rp10, seed] of [[1_000, 1, 1], [5_000, 5, 2], [60_000, 60, 3], [100, 10, 4]] as const) {
      const rand = seededRandom(seed);
      const fast = tokens(tpm, rp10);
      const slow = pythonWindow(tpm, rp10);
      let now = 1;
      for (let i = 0; i < 3_000; i++) {
        now += rand() * (rand() < 0.1 ? 20 : 0.5);
        const cost = 1 + Math.floor(rand() * tpm * 0.3);
        const expected = slow(cost, now);
        // check() answers the same without charging: calling it first changes nothing.
        expect(fast.check(cost, now), `check ${i}`).toEqual(expected);
        expect(fast.add(cost, now), `step ${i}`).toEqual(expected);
      }
    }
  });
});

describe('bounded window memory', () => {
  it('a window is at most ~2.4 MB whatever the limit: 10^9 TPM and 10^9 RPM allocate and answer', () => {
    const rp10 = TokenWindow.requestsPer10sFor(1e9);
    const capacity = TokenWindow.capacityFor(rp10);
    expect(capacity).toBe(MAX_WINDOW_ENTRIES);
    expect(windowBytes(capacity)).toBeLessThan(2.5 * 1024 * 1024);
    // Before: 6 × ceil(1e13 / 1000) + 1 entries of 24 bytes (1.4 TB) — the allocation threw.
    expect(windowBytes(TokenWindow.capacityFor(TokenWindow.requestsPer10sFor(1e13)))).toBe(windowBytes(capacity));
    const w = new TokenWindow(allocateWindow(capacity, true), 1e9);
    expect(w.add(1000, 1)).toEqual({ allowed: true, remainingTokens: 1e9 - 1000, remainingRequests: rp10 - 1 });
    const r = new RequestWindow(allocateWindow(RequestWindow.capacityFor(1e9), false), 1e9);
    expect(r.add(1)).toMatchObject({ allowed: true, remainingRequests: 1e9 - 1 });
    expect(windowBytes(RequestWindow.capacityFor(1e9))).toBeLessThan(2.5 * 1024 * 1024);
  });

  it('requests at the same instant share an entry and still count one by one', () => {
    // Capacity 2 entries, 10 requests per 10 s: the 10 same-instant requests fill the budget.
    const w = new TokenWindow(allocateWindow(2, false), 10_000, 10);
    for (let i = 0; i < 10; i++) expect(w.add(1, 5).allowed).toBe(true);
    expect(rejected(w.add(1, 5))).toMatchObject({ reason: 'requests', retryAfterSeconds: 10 });
    expect(w.add(1, 15.001).allowed).toBe(true);
  });

  it('a full ring absorbs a request into its newest entry: the counts stay exact', () => {
    const w = new TokenWindow(allocateWindow(3, false), 10_000, 10);
    for (let i = 0; i < 10; i++) expect(w.add(1, 1 + i * 0.1).allowed).toBe(true);
    const r = rejected(w.add(1, 2.5));
    expect(r).toMatchObject({ reason: 'requests' });
  });

  it('the Python walk agrees on millisecond clocks with bursts at one instant (tokens and requests)', async () => {
    const { seededRandom } = await import('../../src/core/random.js');
    for (const [tpm, rp10, seed] of [[60_000, 60, 7], [2_000_000, 2_000, 8], [100, 10, 9]] as const) {
      const rand = seededRandom(seed);
      const fast = tokens(tpm, rp10);
      const slow = pythonWindow(tpm, rp10);
      let ms = 1000;
      for (let i = 0; i < 4_000; i++) {
        if (rand() < 0.5) ms += Math.floor(rand() * (rand() < 0.05 ? 20_000 : 300));
        const now = ms / 1000;
        const cost = 1 + Math.floor(rand() * tpm * 0.05);
        const expected = slow(cost, now);
        expect(fast.check(cost, now), `check ${i}`).toEqual(expected);
        expect(fast.add(cost, now), `step ${i}`).toEqual(expected);
      }
    }
  });

  it('RequestWindow agrees with the entry-by-entry rule on millisecond clocks with bursts', async () => {
    const { seededRandom } = await import('../../src/core/random.js');
    const rand = seededRandom(11);
    const rpm = 50;
    const fast = new RequestWindow(allocateWindow(RequestWindow.capacityFor(rpm), false), rpm);
    const times: number[] = [];
    let ms = 0;
    for (let i = 0; i < 3_000; i++) {
      if (rand() < 0.4) ms += Math.floor(rand() * 3_000);
      const now = ms / 1000;
      while (times.length > 0 && times[0]! <= now - 60) times.shift();
      let expected: Admission;
      if (times.length >= rpm) {
        const wait = Math.max(60 - (now - times[0]!), 0.001);
        expected = { allowed: false, reason: 'requests', retryAfterSeconds: Math.ceil(wait), retryAfterMs: Math.ceil(wait * 1000), remainingTokens: 0, remainingRequests: 0 };
      } else {
        times.push(now);
        expected = { allowed: true, remainingTokens: 0, remainingRequests: rpm - times.length };
      }
      expect(fast.add(now), `step ${i}`).toEqual(expected);
    }
  });
});
