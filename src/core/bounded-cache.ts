/**
 * A map with a bound on entries and on total weight (e.g. characters held), evicting the oldest
 * entries first. Oldest-first rather than LRU: a hit costs one lookup, no reordering, and the
 * repeats load tests send stay in anyway. The weight bound keeps a few huge keys (long prompts)
 * from pinning memory that the entry bound alone would allow.
 */
export class BoundedCache<V> {
  readonly #map = new Map<string, { value: V; weight: number }>();
  #weight = 0;

  constructor(
    readonly maxEntries: number,
    readonly maxWeight: number,
  ) {}

  get(key: string): V | undefined {
    return this.#map.get(key)?.value;
  }

  set(key: string, value: V, weight: number): void {
    if (weight > this.maxWeight || this.#map.has(key)) return;
    while (this.#map.size >= this.maxEntries || this.#weight + weight > this.maxWeight) {
      const [oldest, entry] = this.#map.entries().next().value!;
      this.#map.delete(oldest);
      this.#weight -= entry.weight;
    }
    this.#map.set(key, { value, weight });
    this.#weight += weight;
  }

  get size(): number {
    return this.#map.size;
  }

  get weight(): number {
    return this.#weight;
  }
}
