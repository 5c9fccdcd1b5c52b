/**
 * Generated text, by slicing a pre-tokenised lorem corpus.
 *
 * The corpus (lorem sentences) is tokenised once per encoding and process, into shared memory
 * (`shareLoremCorpora`, run for main by process/lorem-corpora.ts), and every thread reads the same
 * memory (`useLoremCorpora`), as with the rank tables. Producing N tokens is taking N
 * consecutive tokens from a random sentence start, so the completion's token count is known without
 * re-counting and `usage` is exact: the slice only ever ends where the tokenizer starts a new piece
 * (a word, a comma, a full stop), and where a word would not fit, single-token filler words make up
 * the rest. Re-tokenising the text gives back exactly the tokens we counted; the tests check this
 * for both encodings.
 */
import { seededRandom } from '../random.js';
import type { EncodingName } from '../models.js';
import { Encoding, type RankTables } from '../tokens/tokenizer.js';

// The Python simulator's lorem vocabulary (python-compatibility.md §5.1), without its trailing commas.
const WORDS = (
  'ullamco labore cupidatat ipsum elit esse officia aliquip do magna duis consequat exercitation occaecat ea ' +
  'laboris sit reprehenderit velit dolor enim irure anim nisi amet culpa commodo consectetur eiusmod minim ' +
  'mollit fugiat cillum non deserunt veniam est eu qui tempor adipiscing aliqua et nostrud ex incididunt aute ' +
  'nulla in proident sunt id lorem pariatur excepteur ut ad sed sint laborum voluptate dolore quis'
).split(' ');

const CORPUS_SENTENCES = 2_000;
const FILLERS = ['et', 'in', 'ut', 'ad', 'id', 'sed', 'non', 'est'];

const capitalise = (w: string): string => w[0]!.toUpperCase() + w.slice(1);

export interface Generated {
  /** The text, exactly `tokens.join('')`. */
  readonly text: string;
  /** Its number of tokens. */
  readonly count: number;
  /** One string per token, in order: what a stream sends, one event each. */
  readonly tokens: readonly string[];
  /**
   * The same tokens as a recipe: [start, end) ranges of corpus token indices and filler strings,
   * in order (the first token without its leading space). A few numbers for any length: what a
   * stream keeps instead of its token strings (see token-events.ts).
   */
  readonly parts: readonly (number | string)[];
}

const EMPTY: Generated = Object.freeze({ text: '', count: 0, tokens: Object.freeze([]), parts: Object.freeze([]) });

/** A generated answer; its per-token strings are only built when a stream needs them. */
class Slice implements Generated {
  #tokens: string[] | undefined;

  constructor(
    readonly text: string,
    readonly count: number,
    readonly parts: readonly (number | string)[],
    private readonly corpus: LoremCorpus,
  ) {}

  get tokens(): readonly string[] {
    if (this.#tokens) return this.#tokens;
    const tokens: string[] = [];
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i]!;
      if (typeof part === 'string') tokens.push(part);
      else for (let t = part, end = this.parts[++i] as number; t < end; t++) tokens.push(this.corpus.token(t));
    }
    tokens[0] = tokens[0]!.slice(1);
    return (this.#tokens = tokens);
  }
}

export type Random = () => number;

/**
 * A corpus as every thread gets it: plain data and one SharedArrayBuffer, so posting it to a
 * thread (`workerData`) shares the memory rather than copying it. Layout of `memory`: `size + 1`
 * Uint32 (character offset of each token in the text, and the end), `sentences` Int32 (token
 * indices where a sentence starts), `size` Uint16 (each token's index in `vocabulary`), `size + 1`
 * Uint8 (1 where a slice may end before this token: a new tokenizer piece starts there).
 *
 * The text is a string, of which each thread gets a copy (~150 KB): an answer is a slice of it,
 * which copies none of its characters. Kept as bytes in shared memory, every answer would copy its
 * characters out: 2.5× the time of a natural answer, 5× for 1,000 tokens (docs/architecture.md,
 * Memory).
 */
export interface SharedLorem {
  readonly memory: SharedArrayBuffer;
  /** Tokens in the corpus. */
  readonly size: number;
  readonly sentences: number;
  readonly text: string;
  /** Each distinct token's text (~100 of them): what the Uint16 ids index. */
  readonly vocabulary: readonly string[];
  /** Single-token words (with their leading space) that pad an answer where the next word does not fit. */
  readonly fillers: readonly string[];
}

/** Every encoding's corpus in shared memory, built once per process (one copy for every thread). */
export type LoremTables = Readonly<Partial<Record<EncodingName, SharedLorem>>>;

interface LoremViews {
  readonly offsets: Uint32Array;
  readonly starts: Int32Array;
  readonly ids: Uint16Array;
  readonly cut: Uint8Array;
}

function loremViews({ memory, size, sentences }: Pick<SharedLorem, 'memory' | 'size' | 'sentences'>): LoremViews {
  const startsAt = (size + 1) * 4;
  const idsAt = startsAt + sentences * 4;
  const cutAt = idsAt + size * 2;
  return {
    offsets: new Uint32Array(memory, 0, size + 1),
    starts: new Int32Array(memory, startsAt, sentences),
    ids: new Uint16Array(memory, idsAt, size),
    cut: new Uint8Array(memory, cutAt, size + 1),
  };
}

/** The byte size of a corpus's memory (see `SharedLorem`). */
const loremBytes = (size: number, sentences: number): number => (size + 1) * 4 + sentences * 4 + size * 2 + (size + 1);

/**
 * Builds an encoding's corpus in shared memory: once per encoding and process, in the thread
 * process/lorem-corpora.ts starts (a thread given none builds its own). The same encoding and seed
 * give the same corpus.
 */
export function shareLorem(encoding: Encoding, seed = 0x5eed): SharedLorem {
  const single = (s: string): boolean => encoding.encode(s).length === 1;
  // Sentence starters must be one token with and without their leading space, so dropping the
  // space at the start of an answer does not change the count.
  const starters = WORDS.map(capitalise)
    .filter((w) => single(w) && single(' ' + w))
    .map((w) => ' ' + w);
  const words = WORDS.map((w) => ' ' + w);
  const fillers = FILLERS.map((w) => ' ' + w).filter(single);
  if (starters.length === 0 || fillers.length === 0) throw new Error(`lorem: no single-token words for ${encoding.name}`);

  // The corpus is a run of tokenizer pieces (" Word", " word", ",", "."), each made once above:
  // each distinct piece is encoded once and each distinct token decoded once (~100 distinct
  // tokens for ~30k in the corpus), and the ids go straight into a typed array. The tests check
  // that the text re-encodes to exactly these tokens.
  const vocabulary: string[] = [];
  /** Rank → index in `vocabulary`. */
  const vocabularyIndex = new Map<number, number>();
  const pieceIds = new Map<string, readonly number[]>();
  const idsOf = (piece: string): readonly number[] => {
    const known = pieceIds.get(piece);
    if (known) return known;
    const ranks = encoding.encode(piece);
    if (ranks.map((rank) => encoding.decode([rank])).join('') !== piece) throw new Error(`lorem: ${encoding.name} tokens of ${JSON.stringify(piece)} do not decode back to it`);
    const ids = ranks.map((rank) => {
      let id = vocabularyIndex.get(rank);
      if (id === undefined) vocabularyIndex.set(rank, (id = vocabulary.push(encoding.decode([rank])) - 1));
      return id;
    });
    pieceIds.set(piece, ids);
    return ids;
  };
  let ids = new Uint16Array(1 << 16);
  let size = 0;
  const add = (piece: string): void => {
    const more = idsOf(piece);
    if (size + more.length > ids.length) {
      const grown = new Uint16Array(ids.length * 2);
      grown.set(ids);
      ids = grown;
    }
    for (const id of more) ids[size++] = id;
  };
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const starts = new Int32Array(CORPUS_SENTENCES);
  for (let s = 0; s < CORPUS_SENTENCES; s++) {
    starts[s] = size;
    add(pick(starters));
    const count = 5 + Math.floor(rand() * 12);
    for (let w = 0; w < count; w++) {
      add(pick(words));
      if (w < count - 1 && rand() < 0.08) add(',');
    }
    add('.');
  }
  if (vocabulary.length > 0xffff) throw new Error(`lorem: ${encoding.name}'s corpus has more distinct tokens than its Uint16 ids can name`);

  const memory = new SharedArrayBuffer(loremBytes(size, CORPUS_SENTENCES));
  const views = loremViews({ memory, size, sentences: CORPUS_SENTENCES });
  views.starts.set(starts);
  views.ids.set(ids.subarray(0, size));
  let chars = 0;
  for (let i = 0; i < size; i++) {
    const t = vocabulary[ids[i]!]!;
    views.offsets[i] = chars;
    chars += t.length;
    views.cut[i] = t[0] === ' ' || t === ',' || t === '.' ? 1 : 0;
  }
  views.offsets[size] = chars;
  views.cut[size] = 1;
  // The text in one piece, through a Buffer outside the heap (the tokens are pieces of ASCII
  // words): a `+=` per token would make ~30k intermediate strings.
  const bytes = Buffer.allocUnsafe(chars);
  for (let i = 0; i < size; i++) bytes.write(vocabulary[ids[i]!]!, views.offsets[i]!, 'latin1');
  return { memory, size, sentences: CORPUS_SENTENCES, text: bytes.toString('latin1'), vocabulary, fillers };
}

/** Takes answers out of a corpus: typed-array views of its shared memory, its text and its ~100 distinct strings. */
export class LoremCorpus {
  readonly #text: string;
  /** Character offset of each token in `#text`; one extra entry for the end. */
  readonly #offsets: Uint32Array;
  /** 1 where a slice may end before this token (a new tokenizer piece starts here). */
  readonly #cut: Uint8Array;
  /** Token indices where a sentence starts (the corpus is cyclic, so also where one ends). */
  readonly #sentenceStarts: Int32Array;
  /** Each token's index in `#vocabulary`. */
  readonly #ids: Uint16Array;
  readonly #vocabulary: readonly string[];
  readonly #fillers: readonly string[];

  constructor(shared: SharedLorem) {
    const views = loremViews(shared);
    this.#text = shared.text;
    this.#offsets = views.offsets;
    this.#cut = views.cut;
    this.#sentenceStarts = views.starts;
    this.#ids = views.ids;
    this.#vocabulary = shared.vocabulary;
    this.#fillers = shared.fillers;
  }

  get size(): number {
    return this.#ids.length;
  }

  /** The text of corpus token `i`. */
  token(i: number): string {
    return this.#vocabulary[this.#ids[i]!]!;
  }

  /** Corpus token `i` as the index of its text among the corpus's distinct ones (`0 … distinct − 1`): what a renderer keys a cache by. */
  tokenId(i: number): number {
    return this.#ids[i]!;
  }

  /** How many distinct token texts the corpus has (~100). */
  get distinct(): number {
    return this.#vocabulary.length;
  }

  /** Exactly `count` tokens of text, starting at a sentence start. */
  take(count: number, random: Random = Math.random): Generated {
    return this.#takeFrom(this.#sentenceStarts[Math.floor(random() * this.#sentenceStarts.length)]!, count, random);
  }

  #takeFrom(start: number, count: number, random: Random): Generated {
    if (count <= 0) return EMPTY;
    const n = this.#ids.length;
    // Corpus ranges [from, to) and filler words, in order: enough to build the text now and the
    // per-token strings only if a stream asks for them.
    const parts: (number | string)[] = [];
    let text = '';
    let pos = start;
    let remaining = count;
    while (remaining > 0) {
      let end = Math.min(n, pos + remaining);
      while (end > pos && this.#cut[end] === 0) end--;
      if (end > pos) {
        text += this.#text.slice(this.#offsets[pos], this.#offsets[end]);
        parts.push(pos, end);
        remaining -= end - pos;
      }
      if (end === n) {
        pos = 0; // the corpus is cyclic: it ends with "." and starts with " Word"
      } else {
        // The next word does not fit: make up the rest with one-token words.
        for (; remaining > 0; remaining--) {
          const filler = this.#fillers[Math.floor(random() * this.#fillers.length)]!;
          text += filler;
          parts.push(filler);
        }
      }
    }
    // An answer starts without the corpus's leading space (starters are one token either way).
    return new Slice(text.slice(1), count, parts, this);
  }

  /**
   * A "natural" answer of about `target` tokens that ends with a full sentence, or undefined when
   * it would be longer than `limit` (the caller then cuts at the limit: finish_reason "length").
   */
  takeSentences(target: number, limit: number, random: Random = Math.random): Generated | undefined {
    const starts = this.#sentenceStarts;
    const n = this.#ids.length;
    const first = Math.floor(random() * starts.length);
    let length = 0;
    for (let j = first; length < target; j = (j + 1) % starts.length) {
      // Sentence j runs to the next start; the last one runs to the end of the (cyclic) corpus.
      length += (j + 1 < starts.length ? starts[j + 1]! : n) - starts[j]!;
    }
    return length > limit ? undefined : this.#takeFrom(starts[first]!, length, random);
  }
}

/** Every encoding's corpus in shared memory, from the tables the threads encode with: what main hands to every thread. */
export function shareLoremCorpora(rankTables: RankTables): LoremTables {
  return Object.fromEntries((Object.keys(rankTables) as EncodingName[]).map((name) => [name, shareLorem(new Encoding(name, rankTables[name]))]));
}

const shared: Partial<Record<EncodingName, SharedLorem>> = {};
const corpora = new Map<EncodingName, LoremCorpus>();

/** Makes this thread take its answers from these corpora (the process's shared ones, built by main). */
export function useLoremCorpora(tables: LoremTables): void {
  for (const [name, table] of Object.entries(tables) as [EncodingName, SharedLorem][]) {
    // Answers already taken from another corpus would not match the ones to come.
    if (corpora.has(name)) throw new Error(`useLoremCorpora: ${name}'s corpus is already in use on this thread`);
    shared[name] = table;
  }
}

/** The corpus for an encoding: the shared one, or (a thread given none: a unit test, a script) one built here on first use (~50 ms). */
export function corpusFor(encoding: Encoding): LoremCorpus {
  let corpus = corpora.get(encoding.name);
  if (!corpus) {
    corpus = new LoremCorpus(shared[encoding.name] ?? shareLorem(encoding));
    corpora.set(encoding.name, corpus);
  }
  return corpus;
}
