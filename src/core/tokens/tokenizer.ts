/**
 * Token counting over js-tiktoken's rank tables, which ship inside the package, so nothing is
 * downloaded at run time — or over the files of `TIKTOKEN_CACHE_DIR` when it is set (the main
 * thread reads and verifies them, and each thread installs them with `useRankTables` before its
 * first use). Encodings load lazily, once per thread, into the fast encoder of `bpe.ts`
 * (js-tiktoken's own encoder is the oracle the tests compare it with).
 *
 * Load tests repeat prompts, so counts are cached per string.
 */
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { BoundedCache } from '../bounded-cache.js';
import { afterUncachedCount, beforeUncachedCount } from './counting-policy.js';
import { BytePairEncoder, type RankTable } from './bpe.js';
import type { EncodingName } from '../models.js';

// Importing a rank module only loads its compressed text (a few MB); the encoder's map is built
// on first use of the encoding.
export type RankTables = Readonly<Record<EncodingName, RankTable>>;

export const BUNDLED_RANK_TABLES: RankTables = { cl100k_base: cl100k, o200k_base: o200k };

const rankTables: Record<EncodingName, RankTable> = { ...BUNDLED_RANK_TABLES };

/**
 * Strings shorter than this are counted directly (a role name costs less to encode than to look
 * up). From there on a repeat is a map lookup: a 28-character prompt costs ~1.9 µs to encode, a
 * 4k-token one ~0.7 ms.
 */
const CACHE_MIN_CHARS = 16;
const CACHE_ENTRIES = 4_096;
/** Characters of cached text per encoding and thread (~32 MB). */
const CACHE_CHARS = 16 * 1024 * 1024;

export class Encoding {
  readonly #bpe: BytePairEncoder;
  readonly #cache = new BoundedCache<number>(CACHE_ENTRIES, CACHE_CHARS);

  constructor(readonly name: EncodingName, ranks: RankTable) {
    this.#bpe = new BytePairEncoder(ranks);
  }

  encode(text: string): number[] {
    return this.#bpe.encode(text);
  }

  decode(tokens: readonly number[]): string {
    return this.#bpe.decode(tokens);
  }

  count(text: string): number {
    if (text.length < CACHE_MIN_CHARS) {
      beforeUncachedCount(text);
      return this.#bpe.count(text);
    }
    const cached = this.#cache.get(text);
    if (cached !== undefined) return cached;
    beforeUncachedCount(text);
    const n = this.#bpe.count(text);
    this.#cache.set(text, n, text.length);
    afterUncachedCount(this.name, text, n);
    return n;
  }

  /** A count made elsewhere (a pool worker) for this thread's cache. */
  remember(text: string, tokens: number): void {
    if (text.length >= CACHE_MIN_CHARS) this.#cache.set(text, tokens, text.length);
  }
}

const loaded = new Map<EncodingName, Encoding>();

/** Makes this thread encode with these tables (from a tiktoken cache) instead of the bundled ones. */
export function useRankTables(tables: Partial<RankTables>): void {
  for (const [name, table] of Object.entries(tables) as [EncodingName, RankTable][]) {
    // An encoder already built would keep counting with the old table: a silent mix.
    if (loaded.has(name)) throw new Error(`useRankTables: ${name} is already in use on this thread`);
    rankTables[name] = table;
  }
}

export function getEncoding(name: EncodingName): Encoding {
  let encoding = loaded.get(name);
  if (!encoding) {
    encoding = new Encoding(name, rankTables[name]);
    loaded.set(name, encoding);
  }
  return encoding;
}
