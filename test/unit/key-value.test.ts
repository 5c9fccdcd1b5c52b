/**
 * The key-value store a client reads back from any replica (stored responses), in both backends
 * with the same cases: round trip, expiry, the byte budget (evicting what expires first, refusing
 * what can never fit), delete — the Redis one on a real redis-server, seen from two clients (two
 * replicas).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedKeyValueStore, type KeyValueStore } from '../../src/core/store/key-value.js';
import { RedisKeyValueStore } from '../../src/state/key-value.js';
import { redisClient, type Redis } from '../../src/state/redis.js';
import { startRedis, type RedisServer } from '../helpers/redis.js';

let server: RedisServer;
let clients: Redis[];
beforeAll(async () => {
  server = await startRedis();
  clients = [redisClient(server.socket, () => undefined), redisClient(server.socket, () => undefined)];
  await Promise.all(clients.map((c) => c.connect()));
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.stop();
});

let prefixes = 0;
const backends: Record<string, (budget: number) => [KeyValueStore, KeyValueStore]> = {
  embedded: (budget) => {
    const store = new EmbeddedKeyValueStore(budget);
    return [store, store];
  },
  redis: (budget) => {
    const prefix = `kv${prefixes++}:`;
    return [new RedisKeyValueStore(clients[0]!, prefix, budget, 2_000), new RedisKeyValueStore(clients[1]!, prefix, budget, 2_000)];
  },
};

for (const [name, make] of Object.entries(backends)) {
  describe(`${name} key-value store`, () => {
    it('stores through one and reads through the other; delete removes it', async () => {
      const [one, two] = make(1_000);
      expect(await one.put('resp_1', '{"id":"resp_1"}', 60_000)).toBe(true);
      expect(await two.get('resp_1')).toBe('{"id":"resp_1"}');
      expect(await two.get('resp_missing')).toBeUndefined();
      expect(await two.delete('resp_1')).toBe(true);
      expect(await one.get('resp_1')).toBeUndefined();
      expect(await one.delete('resp_1')).toBe(false);
    });

    it('never returns an expired value', async () => {
      const [one, two] = make(1_000);
      await one.put('short', 'x', 30);
      await one.put('long', 'y', 60_000);
      await new Promise((r) => setTimeout(r, 80));
      expect(await two.get('short')).toBeUndefined();
      expect(await two.get('long')).toBe('y');
    });

    it('keeps within the byte budget: evicts what expires first, refuses a value over the whole budget, frees what is deleted', async () => {
      const [one, two] = make(100);
      await one.put('a', 'a'.repeat(40), 10_000);
      await one.put('b', 'b'.repeat(40), 20_000);
      await one.put('c', 'c'.repeat(40), 30_000); // 120 > 100: 'a' (first to expire) goes
      expect(await two.get('a')).toBeUndefined();
      expect(await two.get('b')).toBe('b'.repeat(40));
      expect(await two.get('c')).toBe('c'.repeat(40));
      expect(await one.put('huge', 'h'.repeat(101), 10_000)).toBe(false);
      expect(await two.get('b')).toBe('b'.repeat(40)); // a refused value costs nothing else
      expect(await one.delete('b')).toBe(true);
      await one.put('d', 'd'.repeat(60), 40_000); // 40 + 60 fits now that 'b' is gone
      expect(await two.get('c')).toBe('c'.repeat(40));
      expect(await two.get('d')).toBe('d'.repeat(60));
      await one.put('c', 'C'.repeat(10), 40_000); // replacing counts the new size only
      await one.put('e', 'e'.repeat(30), 50_000);
      expect(await two.get('d')).toBe('d'.repeat(60));
      expect(await two.get('c')).toBe('C'.repeat(10));
    });
  });
}
