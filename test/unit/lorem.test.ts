import { describe, it, expect } from 'vitest';
import { getEncoding, type Encoding } from '../../src/core/tokens/tokenizer.js';
import { corpusFor, LoremCorpus, shareLorem } from '../../src/core/generation/lorem.js';
import { seededRandom as seeded } from '../../src/core/random.js';

const encodings: Encoding[] = [getEncoding('cl100k_base'), getEncoding('o200k_base')];

for (const enc of encodings) {
  describe(`LoremCorpus (${enc.name})`, () => {
    const corpus = corpusFor(enc);

    it('corpusFor caches one corpus per encoding', () => {
      expect(corpusFor(enc)).toBe(corpus);
      expect(corpus).toBeInstanceOf(LoremCorpus);
      expect(corpus.size).toBeGreaterThan(10_000);
    });

    it('take(n) gives exactly n tokens that re-encode to n, for 300 random n in 1..400', () => {
      const rand = seeded(enc.name === 'cl100k_base' ? 1 : 2);
      for (let i = 0; i < 300; i++) {
        const n = 1 + Math.floor(rand() * 400);
        const g = corpus.take(n, rand);
        expect(g.tokens.length).toBe(n);
        expect(g.tokens.join('')).toBe(g.text);
        expect(enc.encode(g.text).length).toBe(n);
        expect(g.text[0]).not.toBe(' ');
        expect(g.tokens.every((t) => t.length > 0)).toBe(true);
      }
    });

    it('take(n) with the default random source keeps the same properties', () => {
      for (const n of [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377]) {
        const g = corpus.take(n);
        expect(g.tokens.length).toBe(n);
        expect(g.tokens.join('')).toBe(g.text);
        expect(enc.encode(g.text).length).toBe(n);
        expect(g.text.startsWith(' ')).toBe(false);
      }
    });

    it('each token string re-encodes to the same tokenisation as the whole text', () => {
      const rand = seeded(7);
      for (let i = 0; i < 20; i++) {
        const g = corpus.take(50 + Math.floor(rand() * 100), rand);
        const decoded = enc.encode(g.text).map((id) => enc.decode([id]));
        expect(decoded).toEqual(g.tokens);
      }
    });

    it('take(n) is exact for large n (wrapping around the corpus)', () => {
      const rand = seeded(3);
      for (const n of [1_000, 5_000, corpus.size + 17, 50_000]) {
        const g = corpus.take(n, rand);
        expect(g.tokens.length).toBe(n);
        expect(g.tokens.join('')).toBe(g.text);
        expect(enc.encode(g.text).length).toBe(n);
        expect(g.text[0]).not.toBe(' ');
      }
    });

    it('take(0) is empty', () => {
      const g = corpus.take(0);
      expect(g.text).toBe('');
      expect(g.tokens).toEqual([]);
    });

    it('takeSentences(target, limit) ends with a full stop, has ≥ target tokens, re-encodes exactly', () => {
      const rand = seeded(enc.name === 'cl100k_base' ? 11 : 12);
      for (let i = 0; i < 150; i++) {
        const target = 1 + Math.floor(rand() * 300);
        const g = corpus.takeSentences(target, Number.MAX_SAFE_INTEGER, rand);
        expect(g).toBeDefined();
        expect(g!.text.endsWith('.')).toBe(true);
        expect(g!.tokens.length).toBeGreaterThanOrEqual(target);
        expect(g!.tokens.join('')).toBe(g!.text);
        expect(enc.encode(g!.text).length).toBe(g!.tokens.length);
        expect(g!.text[0]).not.toBe(' ');
      }
    });

    it('takeSentences returns undefined when the limit is below what it needs, and fits at exactly that', () => {
      for (let seed = 100; seed < 160; seed++) {
        const target = 20 + (seed % 180);
        const needed = corpus.takeSentences(target, Number.MAX_SAFE_INTEGER, seeded(seed))!;
        const length = needed.tokens.length;
        expect(corpus.takeSentences(target, length - 1, seeded(seed))).toBeUndefined();
        expect(corpus.takeSentences(target, 0, seeded(seed))).toBeUndefined();
        const exact = corpus.takeSentences(target, length, seeded(seed));
        expect(exact).toBeDefined();
        expect(exact!.text).toBe(needed.text);
        expect(exact!.tokens.length).toBe(length);
      }
    });
  });
}

describe('LoremCorpus determinism', () => {
  it('the same encoding and seed give the same corpus; the same random source gives the same text', () => {
    const enc = getEncoding('cl100k_base');
    const a = new LoremCorpus(shareLorem(enc, 42));
    const b = new LoremCorpus(shareLorem(enc, 42));
    expect(a.size).toBe(b.size);
    expect(a.take(300, seeded(5)).text).toBe(b.take(300, seeded(5)).text);
  });
});
