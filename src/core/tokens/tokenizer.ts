/**
 * Token counting over js-tiktoken's rank tables, which ship inside the package, so nothing is
 * downloaded at run time — or over the files of `TIKTOKEN_CACHE_DIR` when it is set. The main
 * thread builds the shared form of every table once (`shareRankTables`, in shared memory) and each
 * thread installs it with `useRankTables` before its first use, so a thread never loads the rank
 * modules nor builds a table of its own. Encodings load lazily, once per thread, into the fast
 * encoder of `bpe.ts` (js-tiktoken's own encoder is the oracle the tests compare it with).
 *
 * Load tests repeat prompts, so counts are cached per string.
 */
import { createRequire } from 'node:module';
import { BoundedCache } from '../bounded-cache.js';
import { beforeUncachedCount, cachedCount } from './counting-policy.js';
import { BytePairEncoder, shareRankTable, type RankTable, type SharedRankTable } from './bpe.js';
import type { EncodingName } from '../models.js';

/** Rank tables as read (js-tiktoken's modules, or converted `.tiktoken` files). */
export type RankSources = Readonly<Record<EncodingName, RankTable>>;
/** Rank tables as every thread gets them: shared memory, one copy per process. */
export type RankTables = Readonly<Record<EncodingName, SharedRankTable>>;

const RANK_MODULES: Readonly<Record<EncodingName, string>> = {
  cl100k_base: 'js-tiktoken/ranks/cl100k_base',
  o200k_base: 'js-tiktoken/ranks/o200k_base',
};
const bundled = new Map<EncodingName, RankTable>();

/**
 * js-tiktoken's table for an encoding, loaded on first call: a static import would load both
 * (~12 MB of text) in every thread, which then only needs the shared form.
 */
export function bundledRankTable(name: EncodingName): RankTable {
  let table = bundled.get(name);
  if (!table) {
    const loaded = createRequire(import.meta.url)(RANK_MODULES[name]) as RankTable | { default: RankTable };
    table = 'bpe_ranks' in loaded ? loaded : loaded.default;
    bundled.set(name, table);
  }
  return table;
}

/** The shared form of every encoding's table: from `sources` (a tiktoken cache), else the bundled ones. */
export function shareRankTables(sources?: RankSources): RankTables {
  const names = Object.keys(RANK_MODULES) as EncodingName[];
  return Object.fromEntries(names.map((name) => [name, shareRankTable(sources?.[name] ?? bundledRankTable(name))])) as Record<EncodingName, SharedRankTable>;
}

const rankTables: Partial<Record<EncodingName, SharedRankTable>> = {};

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

  constructor(readonly name: EncodingName, ranks: SharedRankTable) {
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
    if (cached !== undefined) {
      cachedCount(this.name, text, cached);
      return cached;
    }
    beforeUncachedCount(text);
    const n = this.#bpe.count(text);
    this.#cache.set(text, n, text.length);
    return n;
  }

  /** A count made elsewhere (a pool worker) for this thread's cache. */
  remember(text: string, tokens: number): void {
    if (text.length >= CACHE_MIN_CHARS) this.#cache.set(text, tokens, text.length);
  }
}

const loaded = new Map<EncodingName, Encoding>();

/** Makes this thread encode with these tables (the process's shared ones, built by main). */
export function useRankTables(tables: Partial<RankTables>): void {
  for (const [name, table] of Object.entries(tables) as [EncodingName, SharedRankTable][]) {
    // An encoder already built would keep counting with the old table: a silent mix.
    if (loaded.has(name)) throw new Error(`useRankTables: ${name} is already in use on this thread`);
    rankTables[name] = table;
  }
}

export function getEncoding(name: EncodingName): Encoding {
  let encoding = loaded.get(name);
  if (!encoding) {
    // A thread given no tables (a unit test, a script) builds its own from the bundled ones.
    encoding = new Encoding(name, (rankTables[name] ??= shareRankTable(bundledRankTable(name))));
    loaded.set(name, encoding);
  }
  return encoding;
}
