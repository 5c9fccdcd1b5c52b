/**
 * The Redis backend of core/store/key-value.ts: values under `<prefix>kv:<key>` with a PX expiry,
 * an index (ZSET key → expiry time) and sizes (HASH) under one hash tag, and one script per write
 * that drops what has expired, then evicts what expires first until the value fits the budget —
 * the same rules as the embedded store, for every replica at once.
 */
import type { KeyValueStore } from '../core/store/key-value.js';
import { valueBytes } from '../core/store/key-value.js';
import { runScript, sha1, within, type Redis } from './redis.js';

const PUT = `
local index, sizes, total = KEYS[1], KEYS[2], KEYS[3]
local prefix, key, value, ttl, budget = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local bytes = string.len(value)
if bytes > budget then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function drop(k)
  local size = tonumber(redis.call('HGET', sizes, k) or '0')
  redis.call('HDEL', sizes, k)
  redis.call('ZREM', index, k)
  redis.call('DEL', prefix .. k)
  redis.call('DECRBY', total, size)
end
drop(key)
for _, k in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now)) do drop(k) end
while tonumber(redis.call('GET', total) or '0') + bytes > budget do
  local first = redis.call('ZRANGE', index, 0, 0)
  if #first == 0 then break end
  drop(first[1])
end
redis.call('SET', prefix .. key, value, 'PX', ttl)
redis.call('ZADD', index, now + ttl, key)
redis.call('HSET', sizes, key, bytes)
redis.call('INCRBY', total, bytes)
return 1
`;
const PUT_SHA = sha1(PUT);
const DELETE = `
local size = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('DECRBY', KEYS[3], size)
return redis.call('DEL', ARGV[1] .. ARGV[2])
`;
const DELETE_SHA = sha1(DELETE);

export class RedisKeyValueStore implements KeyValueStore {
  readonly #keys: string[];
  readonly #values: string;

  constructor(readonly client: Redis, prefix: string, readonly budgetBytes: number, readonly timeoutMs: number) {
    const tag = `${prefix}{kv}`;
    this.#keys = [`${tag}:index`, `${tag}:sizes`, `${tag}:bytes`];
    this.#values = `${tag}:v:`;
  }

  async put(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (valueBytes(value) > this.budgetBytes) return false;
    const reply = await within(runScript(this.client, PUT, PUT_SHA, this.#keys, [this.#values, key, value, String(ttlMs), String(this.budgetBytes)]), this.timeoutMs, 'storing a value');
    return Number(reply) === 1;
  }

  async get(key: string): Promise<string | undefined> {
    return (await within(this.client.get(this.#values + key), this.timeoutMs, 'reading a value')) ?? undefined;
  }

  async delete(key: string): Promise<boolean> {
    return Number(await within(runScript(this.client, DELETE, DELETE_SHA, this.#keys, [this.#values, key]), this.timeoutMs, 'deleting a value')) === 1;
  }
}
