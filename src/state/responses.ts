/**
 * Stored responses (the Responses API) on Redis, for several replicas: each record is a value of
 * the shared key-value store (key-value.ts) under the id, so a response stored through one replica
 * is read back, continued (`previous_response_id`), cancelled or deleted through any other, with
 * the embedded store's rules — one byte budget (SIMULATOR_RESPONSES_STORE_BYTES, for all replicas
 * together: the earliest to expire goes first when it is full) and the record's own expiry.
 *
 * Every operation runs under the store timeout (SIMULATOR_REDIS_TIMEOUT_MS) and, with the client's
 * offline queue off, fails at once while Redis is disconnected: a request is answered 503 naming
 * the store, never left waiting. There is no local fallback here, whatever
 * SIMULATOR_LIMITS_ON_STORE_ERROR says: a budget can be approximated on one replica, but a record
 * another replica holds cannot, and a record kept only locally would be the very miss this store
 * is for.
 */
import type { ResponseStore, StoredEntry, StoredResponse } from '../core/responses/store.js';
import { responseId } from '../core/responses/store.js';
import { RedisKeyValueStore } from './key-value.js';
import type { Redis } from './redis.js';

export class RedisResponseStore implements ResponseStore {
  readonly #values: RedisKeyValueStore;

  constructor(client: Redis, prefix: string, budgetBytes: number, timeoutMs: number, readonly now: () => number = Date.now) {
    this.#values = new RedisKeyValueStore(client, `${prefix}responses:`, budgetBytes, timeoutMs);
  }

  /** Any replica's any thread reads any key: the id needs to name no owner. */
  newId(): string {
    return responseId(0, 1);
  }

  async get(id: string): Promise<StoredResponse | undefined> {
    const json = await unavailableOnError(this.#values.get(id));
    return json === undefined ? undefined : (JSON.parse(json) as StoredResponse);
  }

  /** As the embedded store: a record larger than the whole budget is not kept (a later `get` misses). */
  async put(entry: StoredEntry): Promise<void> {
    const ttlMs = entry.expiresAt - this.now();
    if (ttlMs <= 0) return void (await this.delete(entry.id));
    await unavailableOnError(this.#values.put(entry.id, entry.json, ttlMs));
  }

  delete(id: string): Promise<boolean> {
    return unavailableOnError(this.#values.delete(id));
  }
}

/** The client's 503 names the store and the reason (a timeout, or not connected), never the URL. */
function unavailableOnError<T>(operation: Promise<T>): Promise<T> {
  return operation.catch((err: unknown) => {
    throw new Error(`stored responses live in Redis (SIMULATOR_REDIS_URL), which did not answer: ${(err as Error)?.message ?? String(err)}`);
  });
}
