/**
 * Rate-limit windows kept in a shared store (Redis) for several replicas: the script that admits
 * or refuses one request atomically on the store's clock, the arguments each limit kind passes it,
 * the local cache of refusals that can never be wrong, and what a limiter needs of the store
 * (`RemoteWindows`, implemented in src/state). Pure: strings, numbers and promises only.
 *
 * The semantics are sliding-window.ts's, entry for entry: one log of admitted requests (a ZSET,
 * member "<seq>:<cost>", score = admission time in ms from Redis `TIME`) and the running token sum
 * of the log (a HASH); refused requests are not recorded; the retry time is when the entry that
 * blocks leaves its window. test/unit/shared-window.test.ts compares the script with TokenWindow
 * and RequestWindow on random traffic.
 */
import type { Admission } from './sliding-window.js';

/**
 * `admit`: one request's decision (`purge` the entries that left the longest window, then admit
 * or `refuse`), shared by both scripts below.
 * LIMIT_SCRIPT — KEYS: the log (ZSET), the aggregate (HASH: tok, seq). ARGV: cost, tokens per window (-1: no
 * token rule), requests per request window, token window ms, request window ms, and — only in
 * tests, which compare the script with the embedded windows at chosen times — the time in ms
 * (otherwise the store's clock, `TIME`, the one clock every replica shares).
 * Returns {1, '', '', remainingTokens, remainingRequests} or {0, waitMs, reason, remainingTokens,
 * remainingRequests} (numbers as strings: Lua numbers become truncated integers in replies).
 */
const ADMIT_FUNCTION = `
local function refuse(log, cost, tpm, rlim, twin, rwin, now, count, tok, reqs)
  local ttrR, ttrT = -1e18, -1e18
  if count >= rlim then
    local e = redis.call('ZREVRANGE', log, rlim - 1, rlim - 1, 'WITHSCORES')
    ttrR = rwin - (now - tonumber(e[2]))
  end
  if tpm >= 0 then
    local acc, start, full = cost, 0, nil
    while full == nil and start < count do
      local batch = redis.call('ZREVRANGE', log, start, start + 99, 'WITHSCORES')
      for i = 1, #batch, 2 do
        acc = acc + tonumber(string.match(batch[i], ':(.+)$'))
        if acc > tpm then full = tonumber(batch[i + 1]); break end
      end
      start = start + 100
    end
    if full == nil and cost == tpm and count > 0 and ttrR == -1e18 then
      full = tonumber(redis.call('ZREVRANGE', log, 0, 0, 'WITHSCORES')[2])
    end
    if full ~= nil then ttrT = twin - (now - full) end
  end
  local reason = 'tokens'
  local wait = ttrT
  if ttrR > ttrT then reason = 'requests'; wait = ttrR end
  if wait < 1 then wait = 1 end
  local remTok = 0
  if tpm >= 0 then remTok = math.max(0, tpm - tok) end
  return {0, tostring(wait), reason, tostring(remTok), tostring(math.max(0, rlim - reqs + 1))}
end

local function purge(log, agg, now, longest)
  local tok = tonumber(redis.call('HGET', agg, 'tok') or '0')
  local old = redis.call('ZRANGEBYSCORE', log, '-inf', now - longest)
  if #old > 0 then
    for i = 1, #old do tok = tok - tonumber(string.match(old[i], ':(.+)$')) end
    redis.call('ZREMRANGEBYSCORE', log, '-inf', now - longest)
    if redis.call('ZCARD', log) == 0 then tok = 0 end
    redis.call('HSET', agg, 'tok', tostring(tok))
  end
  return tok
end

local function admit(log, agg, cost, tpm, rlim, twin, rwin, now)
  local longest = math.max(twin, rwin)
  local tok = purge(log, agg, now, longest)
  local count = redis.call('ZCARD', log)
  local reqs = 1 + redis.call('ZCOUNT', log, '(' .. tostring(now - rwin), '+inf')
  local tokens = cost + tok
  if (tpm >= 0 and tokens > tpm) or reqs > rlim then return refuse(log, cost, tpm, rlim, twin, rwin, now, count, tok, reqs) end
  local seq = redis.call('HINCRBY', agg, 'seq', 1)
  redis.call('ZADD', log, now, seq .. ':' .. cost)
  redis.call('HSET', agg, 'tok', tostring(tok + cost))
  redis.call('PEXPIRE', log, longest + 1000)
  redis.call('PEXPIRE', agg, longest + 1000)
  local remTok = 0
  if tpm >= 0 then remTok = tpm - tokens end
  return {1, '', '', tostring(remTok), tostring(rlim - reqs)}
end
`;

export const LIMIT_SCRIPT = `${ADMIT_FUNCTION}
local now
if ARGV[6] then now = tonumber(ARGV[6]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
return admit(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), now)
`;

/**
 * Several requests to one window in one call: ARGV = tokens per window, requests per request
 * window, the two window lengths, the time ('' for the store's clock), then each request's cost.
 * They are decided in order, atomically, at one reading of the clock — as consecutive calls of
 * LIMIT_SCRIPT would decide them (test/unit/shared-window.test.ts) — and the replies follow each
 * other (5 per request). The window is read and purged once; admissions then only add to what is
 * known (tokens, the count, those in the request window, the sequence), so an admitted request
 * costs Lua arithmetic and its share of one ZADD; pending entries are written before a refusal
 * reads the log. A thread sends the requests of one turn of its event loop this way: one round
 * trip and one script run per window and turn, not per request.
 */
export const LIMIT_BATCH_SCRIPT = `${ADMIT_FUNCTION}
local log, agg = KEYS[1], KEYS[2]
local tpm, rlim, twin, rwin = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now
if ARGV[5] ~= '' then now = tonumber(ARGV[5]) else
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local longest = math.max(twin, rwin)
local tok = purge(log, agg, now, longest)
local count = redis.call('ZCARD', log)
local inRequestWindow = redis.call('ZCOUNT', log, '(' .. tostring(now - rwin), '+inf')
local seq = tonumber(redis.call('HGET', agg, 'seq') or '0')
local first = seq
local out, adds = {}, {}
local function write()
  if #adds > 0 then redis.call('ZADD', log, unpack(adds)); adds = {} end
end
for i = 6, #ARGV do
  local cost = tonumber(ARGV[i])
  local reqs = 1 + inRequestWindow
  local tokens = cost + tok
  local r
  if (tpm >= 0 and tokens > tpm) or reqs > rlim then
    write()
    r = refuse(log, cost, tpm, rlim, twin, rwin, now, count, tok, reqs)
  else
    seq = seq + 1
    adds[#adds + 1] = now
    adds[#adds + 1] = seq .. ':' .. cost
    if #adds >= 200 then write() end
    tok, count, inRequestWindow = tokens, count + 1, inRequestWindow + 1
    local remTok = 0
    if tpm >= 0 then remTok = tpm - tokens end
    r = {1, '', '', tostring(remTok), tostring(rlim - reqs)}
  end
  for j = 1, 5 do out[#out + 1] = r[j] end
end
if seq > first then
  write()
  redis.call('HSET', agg, 'tok', tostring(tok), 'seq', seq)
  redis.call('PEXPIRE', log, longest + 1000)
  redis.call('PEXPIRE', agg, longest + 1000)
end
return out
`;

/** The script's arguments after the cost: a limit kind's rule. */
export interface WindowRule {
  /** Tokens per token window; -1 for a request-only limit. */
  readonly tokens: number;
  readonly requests: number;
  readonly tokenWindowMs: number;
  readonly requestWindowMs: number;
}

/** Chat, completions, embeddings: TPM over 60 s and ceil(TPM/1000) requests per 10 s. */
export const tokenRule = (tokensPerMinute: number): WindowRule => ({ tokens: tokensPerMinute, requests: Math.ceil(tokensPerMinute / 1000), tokenWindowMs: 60_000, requestWindowMs: 10_000 });
/** Whisper's requests per minute, or an extension's n per window. */
export const requestRule = (requests: number, windowMs = 60_000): WindowRule => ({ tokens: -1, requests, tokenWindowMs: windowMs, requestWindowMs: windowMs });

/** The script's reply as an Admission (the store's part of it). */
export function admissionOfReply(reply: readonly unknown[]): Admission {
  const remainingTokens = Number(reply[3]);
  const remainingRequests = Number(reply[4]);
  if (Number(reply[0]) === 1) return { allowed: true, remainingTokens, remainingRequests };
  const waitMs = Number(reply[1]);
  return {
    allowed: false,
    reason: reply[2] === 'requests' ? 'requests' : 'tokens',
    retryAfterMs: Math.ceil(waitMs),
    retryAfterSeconds: Math.ceil(waitMs / 1000),
    remainingTokens,
    remainingRequests,
  };
}

/** What to do when the store does not answer in time or is gone (SIMULATOR_LIMITS_ON_STORE_ERROR). */
export type StoreFailureMode = 'local' | 'open' | 'closed';

/** What a limiter needs of the shared store; implemented per front-end thread in src/state. */
export interface RemoteWindows {
  readonly mode: StoreFailureMode;
  /** True while the store is taken as unavailable: decide locally at once, no round trip. */
  down(): boolean;
  /** Live replicas sharing the budget (at least 1): `local` mode divides by it. */
  replicas(): number;
  /** Runs the script; rejects on a store error or after the timeout (and marks the store down). */
  admit(key: string, cost: number, rule: WindowRule): Promise<Admission>;
  /** Counts a decision made without the store (exported as a metric). */
  degraded(): void;
}

/**
 * Refusals the store gave, kept by one thread so that a 429 storm costs no round trip. A refusal
 * for cost c says: nothing of cost ≥ c fits before T (requests: nothing at all before T). Admitted
 * consumption only grows until it expires — no refunds, and a limit change makes a new limiter and
 * so a new cache — and other replicas can only add to it, so a request this cache refuses would
 * have been refused by the store too. T is counted from when the question was sent (before the
 * store's own clock read it), so the cache can only end a block early, never late.
 */
export class RefusalCache {
  #requestsUntil = 0;
  #requestsRemaining = { tokens: 0, requests: 0 };
  /** Up to 8 (cost, until) steps: cost ≥ costs[i] is refused before untils[i]. */
  readonly #costs: number[] = [];
  readonly #untils: number[] = [];
  readonly #remaining: { tokens: number; requests: number }[] = [];

  record(sentAtMs: number, cost: number, refusal: Extract<Admission, { reason: 'tokens' | 'requests' }>): void {
    const until = sentAtMs + refusal.retryAfterMs;
    const remaining = { tokens: refusal.remainingTokens, requests: refusal.remainingRequests };
    if (refusal.reason === 'requests') {
      if (until > this.#requestsUntil) {
        this.#requestsUntil = until;
        this.#requestsRemaining = remaining;
      }
      return;
    }
    let slot = this.#costs.indexOf(cost);
    if (slot < 0 && this.#costs.length < 8) slot = this.#costs.push(cost) - 1;
    if (slot < 0) slot = this.#untils.indexOf(Math.min(...this.#untils));
    const earlier = this.#costs[slot] === cost ? (this.#untils[slot] ?? 0) : 0;
    this.#costs[slot] = cost;
    this.#untils[slot] = Math.max(until, earlier);
    this.#remaining[slot] = remaining;
  }

  /** A refusal certain now for this cost, or undefined. */
  lookup(nowMs: number, cost: number): Admission | undefined {
    let until = 0;
    let reason: 'tokens' | 'requests' = 'tokens';
    let remaining = this.#requestsRemaining;
    if (nowMs < this.#requestsUntil) {
      until = this.#requestsUntil;
      reason = 'requests';
    }
    for (let i = 0; i < this.#costs.length; i++) {
      if (this.#costs[i]! <= cost && this.#untils[i]! > nowMs && this.#untils[i]! > until) {
        until = this.#untils[i]!;
        reason = 'tokens';
        remaining = this.#remaining[i]!;
      }
    }
    if (until === 0) return undefined;
    const waitMs = Math.max(1, Math.ceil(until - nowMs));
    return { allowed: false, reason, retryAfterMs: waitMs, retryAfterSeconds: Math.ceil(waitMs / 1000), remainingTokens: remaining.tokens, remainingRequests: remaining.requests };
  }
}
