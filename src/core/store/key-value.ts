/**
 * What a client may read back from any replica (the Responses API's stored responses):
 * a key-value store with a byte budget and an expiry, in two backends with one interface — this
 * embedded one (one process; the default) and Redis (src/state/key-value.ts, for several
 * replicas). Both refuse a value larger than the whole budget, evict the entries that expire
 * first when the budget is full, and never return an expired value.
 */
export interface KeyValueStore {
  /** False when the value alone is over the budget (nothing stored). */
  put(key: string, value: string, ttlMs: number): Promise<boolean>;
  get(key: string): Promise<string | undefined>;
  delete(key: string): Promise<boolean>;
}

/** Bytes a value takes against the budget (UTF-8). */
export const valueBytes = (value: string): number => Buffer.byteLength(value, 'utf8');

export class EmbeddedKeyValueStore implements KeyValueStore {
  /** Insertion order is expiry order for one TTL; with mixed TTLs eviction scans for the earliest. */
  readonly #entries = new Map<string, { value: string; bytes: number; expiresAt: number }>();
  #bytes = 0;

  constructor(readonly budgetBytes: number, readonly now: () => number = Date.now) {}

  get bytes(): number {
    return this.#bytes;
  }

  async put(key: string, value: string, ttlMs: number): Promise<boolean> {
    const bytes = valueBytes(value);
    if (bytes > this.budgetBytes) return false;
    this.#remove(key);
    this.#purge();
    while (this.#bytes + bytes > this.budgetBytes) this.#evictEarliest();
    this.#entries.set(key, { value, bytes, expiresAt: this.now() + ttlMs });
    this.#bytes += bytes;
    return true;
  }

  async get(key: string): Promise<string | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.#remove(key);
      return undefined;
    }
    return entry.value;
  }

  async delete(key: string): Promise<boolean> {
    return this.#remove(key);
  }

  #remove(key: string): boolean {
    const entry = this.#entries.get(key);
    if (!entry) return false;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
    return true;
  }

  #purge(): void {
    const now = this.now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#remove(key);
  }

  #evictEarliest(): void {
    let earliest: string | undefined;
    let at = Infinity;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt < at) {
        at = entry.expiresAt;
        earliest = key;
      }
    }
    if (earliest !== undefined) this.#remove(earliest);
  }
}
