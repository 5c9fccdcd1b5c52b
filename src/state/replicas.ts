/**
 * The main thread's side of a replica on Redis: the heartbeat that gives the live replica count
 * (on the store's clock), and the runtime configuration shared by every replica — one document
 * with a version, changed only by compare-and-set, announced on a channel (with a poll of the
 * version every second as a back-up), and confirmed by each replica once its threads run it.
 *
 * Keys (under the prefix): `replicas` (ZSET name → last beat), `config` (HASH version + doc),
 * `config:acks` (HASH name → version applied), channel `config`. The configuration keys live as
 * long as some replica beats (30 s after the last one), so a new fleet starts from its own files.
 */
import { runtimeFromStore, runtimeToStore, type RuntimeConfig, type StoredRuntime } from '../core/config/runtime-config.js';
import type { RedisSettings } from '../core/config/settings.js';
import type { WindowIds } from '../core/limits/windows.js';
import { STATUS, connectWithin, newStatus, redisClient, runScript, sha1, within, type Redis } from './redis.js';

export interface SharedConfig {
  readonly version: number;
  readonly runtime: RuntimeConfig;
  readonly windows: WindowIds;
}

const BEAT_MS = 1_000;
/** A replica that has not beaten for this long is not counted. */
const ALIVE_MS = 3_500;
const CONFIG_TTL_MS = 30_000;
/** How long a PATCH waits for every live replica to confirm before it answers anyway. */
export const CONFIRM_TIMEOUT_MS = 2_000;

const BEAT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return redis.call('ZRANGE', KEYS[1], 0, -1)
`;
const SET_CONFIG = `
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current ~= tonumber(ARGV[1]) then return -1 end
local version = current + 1
redis.call('HSET', KEYS[1], 'version', version, 'doc', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], version)
return version
`;
const BEAT_SHA = sha1(BEAT);
const SET_SHA = sha1(SET_CONFIG);

export class ReplicaState {
  /** redis.ts `STATUS`, shared with the replica's threads. */
  readonly status = newStatus();
  readonly #view = new Int32Array(this.status);
  readonly #client: Redis;
  readonly #subscriber: Redis;
  readonly #keys: { replicas: string; config: string; acks: string; channel: string };
  #live: string[] = [];
  #timers: NodeJS.Timeout[] = [];
  #up = true;
  #onChange: ((config: SharedConfig) => void) | undefined;

  constructor(readonly settings: RedisSettings, readonly name: string, readonly log: { warn(m: string): void; info(m: string): void }) {
    const p = settings.prefix;
    this.#keys = { replicas: `${p}replicas`, config: `${p}config`, acks: `${p}config:acks`, channel: `${p}config` };
    this.#client = redisClient(settings.url, (err) => this.#down(err));
    this.#subscriber = redisClient(settings.url, () => undefined);
  }

  /** Live replicas, this one included (1 until the first beat answers). */
  get replicas(): number {
    return Math.max(1, this.#live.length);
  }

  get up(): boolean {
    return this.#up;
  }

  /**
   * Connects (waiting at most 5 s: the simulator starts either way, limiting locally until Redis
   * answers), beats once, and returns the stored configuration, or stores `initial` if there is none.
   */
  async start(initial: () => Omit<SharedConfig, 'version'>): Promise<SharedConfig | undefined> {
    const connected = await connectWithin(this.#client, 5_000);
    await connectWithin(this.#subscriber, 5_000);
    this.#timers.push(setInterval(() => void this.#beat(), BEAT_MS), setInterval(() => void this.#poll(), BEAT_MS));
    for (const t of this.#timers) t.unref();
    if (!connected) {
      this.#down(new Error('no connection within 5 s'));
      return undefined;
    }
    await this.#beat();
    await this.#subscriber.subscribe(this.#keys.channel, () => void this.#poll()).catch((err: Error) => this.#down(err));
    let stored = await this.read();
    if (!stored) {
      const doc = initial();
      await this.#set(0, doc);
      stored = await this.read();
    }
    return stored;
  }

  /** What every replica applies when the shared configuration changes (after `start`). */
  onChange(apply: (config: SharedConfig) => void): void {
    this.#onChange = apply;
  }

  async read(): Promise<SharedConfig | undefined> {
    const hash = await within(this.#client.hGetAll(this.#keys.config), 2_000, 'reading the shared configuration');
    if (!hash.version || !hash.doc) return undefined;
    const doc = JSON.parse(hash.doc) as { runtime: StoredRuntime; windows: SharedConfig['windows'] };
    return { version: Number(hash.version), runtime: runtimeFromStore(doc.runtime), windows: doc.windows };
  }

  /**
   * Changes the shared configuration: `change` maps the current one to the next (it may throw, a
   * refused patch); retried on the latest if another replica changed it in between.
   */
  async change(change: (current: SharedConfig) => Omit<SharedConfig, 'version'>, ifNone: () => Omit<SharedConfig, 'version'>): Promise<SharedConfig> {
    for (let attempt = 0; attempt < 20; attempt++) {
      // None stored (it expired, or Redis was away when every replica started): this replica's is the base.
      const current = (await this.read()) ?? { version: 0, ...ifNone() };
      const next = change(current);
      const version = await this.#set(current.version, next);
      if (version > 0) return { version, ...next };
    }
    throw new Error('the shared configuration kept changing under this PATCH (20 attempts)');
  }

  async #set(expected: number, doc: Omit<SharedConfig, 'version'>): Promise<number> {
    const reply = await within(runScript(this.#client, SET_CONFIG, SET_SHA, [this.#keys.config], [String(expected), JSON.stringify({ ...doc, runtime: runtimeToStore(doc.runtime) }), String(CONFIG_TTL_MS), this.#keys.channel]), 2_000, 'storing the configuration');
    return Number(reply);
  }

  /** This replica's threads run `version`. */
  async confirm(version: number): Promise<void> {
    await within(this.#client.hSet(this.#keys.acks, this.name, String(version)), 2_000, 'confirming the configuration').catch((err: Error) => this.#down(err));
  }

  /** Resolves true once every live replica confirmed `version`, false after CONFIRM_TIMEOUT_MS. */
  async confirmedEverywhere(version: number): Promise<boolean> {
    const until = Date.now() + CONFIRM_TIMEOUT_MS;
    while (Date.now() < until) {
      try {
        const [live, acks] = await Promise.all([this.#client.zRange(this.#keys.replicas, 0, -1), this.#client.hGetAll(this.#keys.acks)]);
        if (live.every((name) => Number(acks[name] ?? 0) >= version)) return true;
      } catch {
        return false;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    return false;
  }

  #lastSeen = 0;
  async #poll(): Promise<void> {
    if (!this.#onChange || !this.#client.isReady) return;
    try {
      const config = await this.read();
      if (config && config.version > this.#lastSeen) {
        this.#lastSeen = config.version;
        this.#onChange(config);
      }
    } catch (err) {
      this.#down(err as Error);
    }
  }

  /** The version this replica applied (so a poll or an announcement of it is not applied twice). */
  seen(version: number): void {
    this.#lastSeen = Math.max(this.#lastSeen, version);
  }

  async #beat(): Promise<void> {
    if (!this.#client.isReady) return this.#down(new Error('not connected'));
    try {
      const live = (await within(
        runScript(this.#client, BEAT, BEAT_SHA, [this.#keys.replicas, this.#keys.config, this.#keys.acks], [this.name, String(ALIVE_MS), String(CONFIG_TTL_MS)]),
        2_000,
        'heartbeat',
      )) as string[];
      this.#live = live;
      Atomics.store(this.#view, STATUS.replicas, Math.max(1, live.length));
      Atomics.store(this.#view, STATUS.down, 0);
      if (!this.#up) {
        this.#up = true;
        this.log.info(`Redis answers again (${live.length} live replica(s)): one budget and one configuration across replicas again`);
      }
    } catch (err) {
      this.#down(err as Error);
    }
  }

  #down(err: Error): void {
    Atomics.store(this.#view, STATUS.down, 1);
    if (!this.#up) return;
    this.#up = false;
    this.log.warn(`Redis unavailable (${err.message}): limiting locally per SIMULATOR_LIMITS_ON_STORE_ERROR=${this.settings.onStoreError} with ${this.replicas} replica(s) last seen; reconnecting`);
  }

  /** For /++/stats (and metrics): the store's state as this replica sees it. */
  describe(): Record<string, unknown> {
    return {
      backend: 'redis',
      replica: this.name,
      store: this.#up ? 'up' : 'down',
      live_replicas: this.replicas,
      on_store_error: this.settings.onStoreError,
      decisions_without_store: Atomics.load(this.#view, STATUS.degraded),
    };
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await Promise.all([this.#client, this.#subscriber].map((c) => (c.isOpen ? c.close().catch(() => undefined) : undefined)));
  }
}
