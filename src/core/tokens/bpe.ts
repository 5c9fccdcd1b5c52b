/**
 * A byte-pair encoder over js-tiktoken's rank tables, built for the request path, reading rank
 * tables that live once per process in shared memory.
 *
 * js-tiktoken's own `encode` rebuilds two regular expressions and a Set on every call and keys its
 * rank map by comma-joined byte lists, which holds ~90 MB (cl100k_base) to ~160 MB (o200k_base)
 * per thread; a `Map` keyed by byte strings still held ~55 MB for both encodings in every thread.
 * Here the ranks are one `SharedArrayBuffer` per encoding, built once by the main thread
 * (`shareRankTable`) and handed to every thread in `workerData`, which shares it rather than
 * copying it: an open-addressing hash table of ranks keyed by each token's bytes, plus the bytes
 * themselves in rank order (for the key comparison and for decoding). A thread adds only its views
 * and a few small scratch arrays.
 *
 * Same rank tables, same splitting pattern, same merge rule (lowest rank first), so the output is
 * identical — the unit tests compare it with js-tiktoken. Special tokens (`<|endoftext|>` …) are
 * never produced: text is always ordinary text, which is what the service does with user content.
 */

/** The shape of js-tiktoken's rank modules (`js-tiktoken/ranks/<name>`). */
export interface RankTable {
  readonly pat_str: string;
  readonly bpe_ranks: string;
}

/**
 * A rank table as the threads get it: plain data and one SharedArrayBuffer, so posting it to a
 * thread shares the memory. Layout of `memory`: `slots` Int32 (rank + 1 by hash of the token's
 * bytes, 0 when empty), then `ranks + 1` Uint32 (where each rank's bytes start, and the end), then
 * the bytes of every token in rank order.
 */
export interface SharedRankTable {
  readonly pattern: string;
  readonly memory: SharedArrayBuffer;
  /** Highest rank + 1 (a rank missing from the table has no bytes). */
  readonly ranks: number;
  /** Hash slots: a power of two, at least twice the number of tokens. */
  readonly slots: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** No pair to merge (greater than every rank). */
const NONE = 0x7fffffff;

/** FNV-1a over bytes; the final xor-shift spreads the high bits into the slot index. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
  return h ^ (h >>> 15);
}

/** Builds the shared form of a rank table (main thread, once per encoding and process). */
export function shareRankTable(table: RankTable): SharedRankTable {
  const rankOf: number[] = [];
  const base64: string[] = [];
  let ranks = 0;
  for (const line of table.bpe_ranks.split('\n')) {
    if (line === '') continue;
    const fields = line.split(' ');
    const first = Number.parseInt(fields[1]!, 10);
    for (let i = 2; i < fields.length; i++) {
      rankOf.push(first + i - 2);
      base64.push(fields[i]!);
    }
    ranks = Math.max(ranks, first + fields.length - 2);
  }
  let slots = 1;
  while (slots < 2 * rankOf.length) slots *= 2;
  const lengths = new Uint32Array(ranks);
  for (let i = 0; i < rankOf.length; i++) lengths[rankOf[i]!] = Buffer.byteLength(base64[i]!, 'base64');
  let total = 0;
  for (let r = 0; r < ranks; r++) total += lengths[r]!;

  const memory = new SharedArrayBuffer((slots + ranks + 1) * 4 + total);
  const views = viewsOf({ pattern: table.pat_str, memory, ranks, slots });
  let at = 0;
  for (let r = 0; r < ranks; r++) {
    views.offsets[r] = at;
    at += lengths[r]!;
  }
  views.offsets[ranks] = at;
  const bytes = Buffer.from(memory, views.bytes.byteOffset, total);
  const mask = slots - 1;
  for (let i = 0; i < rankOf.length; i++) {
    const rank = rankOf[i]!;
    const start = views.offsets[rank]!;
    const end = start + bytes.write(base64[i]!, start, 'base64');
    if (end === start) continue;
    // A token listed twice keeps its last rank, as a Map would.
    let slot = hashBytes(views.bytes, start, end) & mask;
    for (; views.slots[slot] !== 0; slot = (slot + 1) & mask) {
      if (sameBytes(views, views.slots[slot]! - 1, views.bytes, start, end)) break;
    }
    views.slots[slot] = rank + 1;
  }
  return { pattern: table.pat_str, memory, ranks, slots };
}

interface Views {
  readonly slots: Int32Array;
  readonly offsets: Uint32Array;
  readonly bytes: Uint8Array;
}

function viewsOf(table: SharedRankTable): Views {
  const offsetsAt = table.slots * 4;
  const bytesAt = offsetsAt + (table.ranks + 1) * 4;
  return {
    slots: new Int32Array(table.memory, 0, table.slots),
    offsets: new Uint32Array(table.memory, offsetsAt, table.ranks + 1),
    bytes: new Uint8Array(table.memory, bytesAt),
  };
}

function sameBytes(v: Views, rank: number, key: Uint8Array, start: number, end: number): boolean {
  const from = v.offsets[rank]!;
  if (v.offsets[rank + 1]! - from !== end - start) return false;
  const bytes = v.bytes;
  for (let i = 0; i < end - start; i++) if (bytes[from + i] !== key[start + i]) return false;
  return true;
}

export class BytePairEncoder {
  readonly #slots: Int32Array;
  readonly #offsets: Uint32Array;
  readonly #bytes: Uint8Array;
  /** The same bytes as a Buffer: one token decodes straight from shared memory. */
  readonly #buffer: Buffer;
  readonly #mask: number;
  readonly #ranks: number;
  readonly #pattern: RegExp;
  // Scratch for the piece being merged: its UTF-8 bytes, where its parts start, their pair ranks.
  #piece = new Uint8Array(1024);
  #starts = new Int32Array(1025);
  #pairs = new Int32Array(1025);

  constructor(table: SharedRankTable) {
    const views = viewsOf(table);
    this.#slots = views.slots;
    this.#offsets = views.offsets;
    this.#bytes = views.bytes;
    this.#buffer = Buffer.from(table.memory, views.bytes.byteOffset, views.bytes.byteLength);
    this.#mask = table.slots - 1;
    this.#ranks = table.ranks;
    this.#pattern = new RegExp(table.pattern, 'gu');
  }

  encode(text: string): number[] {
    const out: number[] = [];
    this.#each(text, out);
    return out;
  }

  count(text: string): number {
    return this.#each(text, null);
  }

  decode(tokens: readonly number[]): string {
    const offsets = this.#offsets;
    const valid = (t: number): boolean => Number.isInteger(t) && t >= 0 && t < this.#ranks;
    // One token (the lorem corpus decodes ~25k of them at start): no copy, no Buffer made.
    if (tokens.length === 1) return valid(tokens[0]!) ? this.#buffer.toString('utf8', offsets[tokens[0]!], offsets[tokens[0]! + 1]) : '';
    let total = 0;
    for (const t of tokens) if (valid(t)) total += offsets[t + 1]! - offsets[t]!;
    const out = Buffer.allocUnsafe(total);
    let k = 0;
    for (const t of tokens) {
      if (!valid(t)) continue;
      for (let i = offsets[t]!, end = offsets[t + 1]!; i < end; i++) out[k++] = this.#bytes[i]!;
    }
    return out.toString('utf8');
  }

  /** Encodes `text` piece by piece: pushes the ranks to `out` when given; returns how many. */
  #each(text: string, out: number[] | null): number {
    const pattern = this.#pattern;
    pattern.lastIndex = 0;
    let n = 0;
    let m: RegExpExecArray | null;
    while ((m = pattern.exec(text)) !== null) {
      const start = m.index;
      const end = start + m[0].length;
      // Most pieces are ASCII: their char codes are their bytes, copied and hashed in one loop.
      this.#ensure(3 * (end - start));
      const piece = this.#piece;
      let h = FNV_OFFSET;
      let i = start;
      for (; i < end; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) break;
        piece[i - start] = c;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
      const length = i === end ? end - start : this.#utf8(text, start, end);
      const whole = this.#find(0, length, i === end ? h ^ (h >>> 15) : hashBytes(this.#piece, 0, length));
      if (whole >= 0) {
        out?.push(whole);
        n++;
      } else {
        n += this.#merge(length, out);
      }
    }
    return n;
  }

  #ensure(bytes: number): void {
    if (this.#piece.length >= bytes) return;
    let size = this.#piece.length;
    while (size < bytes) size *= 2;
    this.#piece = new Uint8Array(size);
    this.#starts = new Int32Array(size + 1);
    this.#pairs = new Int32Array(size + 1);
  }

  /** UTF-8 as `Buffer.from(text, 'utf8')` writes it (a lone surrogate becomes U+FFFD). */
  #utf8(text: string, start: number, end: number): number {
    this.#ensure(3 * (end - start));
    const b = this.#piece;
    let k = 0;
    for (let i = start; i < end; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) b[k++] = c;
      else if (c < 0x800) {
        b[k++] = 0xc0 | (c >> 6);
        b[k++] = 0x80 | (c & 0x3f);
      } else if ((c & 0xfc00) === 0xd800 && i + 1 < end && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c & 0x3ff) << 10) + (text.charCodeAt(++i) & 0x3ff);
        b[k++] = 0xf0 | (c >> 18);
        b[k++] = 0x80 | ((c >> 12) & 0x3f);
        b[k++] = 0x80 | ((c >> 6) & 0x3f);
        b[k++] = 0x80 | (c & 0x3f);
      } else {
        if ((c & 0xf800) === 0xd800) c = 0xfffd;
        b[k++] = 0xe0 | (c >> 12);
        b[k++] = 0x80 | ((c >> 6) & 0x3f);
        b[k++] = 0x80 | (c & 0x3f);
      }
    }
    return k;
  }

  /** The rank of the scratch bytes [start, end) (their hash given), or -1. */
  #find(start: number, end: number, hash: number): number {
    const slots = this.#slots;
    const offsets = this.#offsets;
    const bytes = this.#bytes;
    const key = this.#piece;
    const length = end - start;
    for (let slot = hash & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const entry = slots[slot]!;
      if (entry === 0) return -1;
      const rank = entry - 1;
      const from = offsets[rank]!;
      if (offsets[rank + 1]! - from !== length) continue;
      let i = 0;
      while (i < length && bytes[from + i] === key[start + i]) i++;
      if (i === length) return rank;
    }
  }

  /** The rank of parts i and i + 1 joined, or NONE. */
  #pairRank(i: number, parts: number): number {
    if (i + 2 >= parts) return NONE;
    const from = this.#starts[i]!;
    const to = this.#starts[i + 2]!;
    const rank = this.#find(from, to, hashBytes(this.#piece, from, to));
    return rank < 0 ? NONE : rank;
  }

  /** tiktoken's merge of the scratch piece: repeatedly join the adjacent pair with the lowest rank. */
  #merge(length: number, out: number[] | null): number {
    const starts = this.#starts;
    const pairs = this.#pairs;
    // `parts` counts the boundaries: parts - 1 pieces, pairs[i] joins pieces i and i + 1.
    let parts = length + 1;
    for (let i = 0; i < parts; i++) starts[i] = i;
    for (let i = 0; i < parts - 1; i++) pairs[i] = this.#pairRank(i, parts);
    for (;;) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i < parts - 2; i++) {
        if (pairs[i]! < best) {
          best = pairs[i]!;
          at = i;
        }
      }
      if (at < 0) break;
      starts.copyWithin(at + 1, at + 2, parts);
      pairs.copyWithin(at + 1, at + 2, parts - 1);
      parts--;
      pairs[at] = this.#pairRank(at, parts);
      if (at > 0) pairs[at - 1] = this.#pairRank(at - 1, parts);
    }
    if (out) {
      for (let i = 0; i + 1 < parts; i++) out.push(this.#find(starts[i]!, starts[i + 1]!, hashBytes(this.#piece, starts[i]!, starts[i + 1]!)));
    }
    return parts - 1;
  }
}
