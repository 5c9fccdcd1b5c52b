/**
 * Generated text, by slicing a pre-tokenised lorem corpus.
 *
 * The corpus (lorem sentences) is tokenised once per encoding. Producing N tokens is taking N
 * consecutive tokens from a random sentence start, so the completion's token count is known without
 * re-counting and `usage` is exact: the slice only ever ends where the tokenizer starts a new piece
 * (a word, a comma, a full stop), and where a word would not fit, single-token filler words make up
 * the rest. Re-tokenising the text gives back exactly the tokens we counted; the tests check this
 * for both encodings.
 */
import { seededRandom } from '../random.js';
import type { Encoding } from '../tokens/tokenizer.js';

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
    private readonly corpus: readonly string[],
  ) {}

  get tokens(): readonly string[] {
    if (this.#tokens) return this.#tokens;
    const tokens: string[] = [];
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i]!;
      if (typeof part === 'string') tokens.push(part);
      else for (let t = part, end = this.parts[++i] as number; t < end; t++) tokens.push(this.corpus[t]!);
    }
    tokens[0] = tokens[0]!.slice(1);
    return (this.#tokens = tokens);
  }
}

export type Random = () => number;

export class LoremCorpus {
  readonly #text: string;
  readonly #tokens: string[];
  /** Character offset of each token in `#text`; one extra entry for the end. */
  readonly #offsets: Uint32Array;
  /** 1 where a slice may end before this token (a new tokenizer piece starts here). */
  readonly #cut: Uint8Array;
  /** Token indices where a sentence starts (the corpus is cyclic, so also where one ends). */
  readonly #sentenceStarts: Int32Array;
  readonly #fillers: string[];

  constructor(encoding: Encoding, seed = 0x5eed) {
    const single = (s: string): boolean => encoding.encode(s).length === 1;
    // Sentence starters must be one token with and without their leading space, so dropping the
    // space at the start of an answer does not change the count.
    const starters = WORDS.map(capitalise).filter((w) => single(w) && single(' ' + w));
    this.#fillers = FILLERS.map((w) => ' ' + w).filter(single);
    if (starters.length === 0 || this.#fillers.length === 0) throw new Error(`lorem: no single-token words for ${encoding.name}`);

    // The corpus is a run of tokenizer pieces (" Word", " word", ",", "."): each distinct piece is
    // encoded once and each distinct token decoded once, so a thread's corpus holds ~150 distinct
    // strings rather than ~25k, and building it makes little garbage (this runs in every thread;
    // encoding the whole text grew each thread's young generation by ~4 MB). The tests check that
    // the text re-encodes to exactly these tokens.
    const rand = seededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const pieceIds = new Map<string, readonly number[]>();
    const tokenOf = new Map<number, string>();
    const tokens: string[] = [];
    const add = (piece: string): void => {
      let ids = pieceIds.get(piece);
      if (!ids) {
        pieceIds.set(piece, (ids = encoding.encode(piece)));
        if (ids.map((id) => encoding.decode([id])).join('') !== piece) throw new Error(`lorem: ${encoding.name} tokens of ${JSON.stringify(piece)} do not decode back to it`);
      }
      for (const id of ids) {
        let token = tokenOf.get(id);
        if (token === undefined) tokenOf.set(id, (token = encoding.decode([id])));
        tokens.push(token);
      }
    };
    for (let s = 0; s < CORPUS_SENTENCES; s++) {
      add(' ' + pick(starters));
      const words = 5 + Math.floor(rand() * 12);
      for (let w = 0; w < words; w++) {
        add(' ' + pick(WORDS));
        if (w < words - 1 && rand() < 0.08) add(',');
      }
      add('.');
    }
    // Joined once at the end: a `+=` per piece would keep ~30k cons strings alive meanwhile.
    const text = tokens.join('');
    this.#text = text;
    this.#tokens = tokens;
    this.#offsets = new Uint32Array(tokens.length + 1);
    this.#cut = new Uint8Array(tokens.length + 1);
    const starts: number[] = [];
    let offset = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = this.#tokens[i]!;
      this.#offsets[i] = offset;
      offset += t.length;
      this.#cut[i] = t[0] === ' ' || t === ',' || t === '.' ? 1 : 0;
      if (t[0] === ' ' && (i === 0 || this.#tokens[i - 1] === '.')) starts.push(i);
    }
    this.#offsets[tokens.length] = offset;
    this.#cut[tokens.length] = 1;
    this.#sentenceStarts = Int32Array.from(starts);
  }

  get size(): number {
    return this.#tokens.length;
  }

  /** The text of corpus token `i`. */
  token(i: number): string {
    return this.#tokens[i]!;
  }

  /** Exactly `count` tokens of text, starting at a sentence start. */
  take(count: number, random: Random = Math.random): Generated {
    return this.#takeFrom(this.#sentenceStarts[Math.floor(random() * this.#sentenceStarts.length)]!, count, random);
  }

  #takeFrom(start: number, count: number, random: Random): Generated {
    if (count <= 0) return EMPTY;
    const n = this.#tokens.length;
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
    return new Slice(text.slice(1), count, parts, this.#tokens);
  }

  /**
   * A "natural" answer of about `target` tokens that ends with a full sentence, or undefined when
   * it would be longer than `limit` (the caller then cuts at the limit: finish_reason "length").
   */
  takeSentences(target: number, limit: number, random: Random = Math.random): Generated | undefined {
    const starts = this.#sentenceStarts;
    const n = this.#tokens.length;
    const first = Math.floor(random() * starts.length);
    let length = 0;
    for (let j = first; length < target; j = (j + 1) % starts.length) {
      // Sentence j runs to the next start; the last one runs to the end of the (cyclic) corpus.
      length += (j + 1 < starts.length ? starts[j + 1]! : n) - starts[j]!;
    }
    return length > limit ? undefined : this.#takeFrom(starts[first]!, length, random);
  }
}

const corpora = new Map<string, LoremCorpus>();

/** The corpus for an encoding, built on first use (once per thread, ~50 ms). */
export function corpusFor(encoding: Encoding): LoremCorpus {
  let corpus = corpora.get(encoding.name);
  if (!corpus) {
    corpus = new LoremCorpus(encoding);
    corpora.set(encoding.name, corpus);
  }
  return corpus;
}
