import { describe, it, expect } from 'vitest';
import { getEncoding } from '../../src/core/tokens/tokenizer.js';

// Published tiktoken outputs (tiktoken README / OpenAI cookbook), used as oracles.
const cl100k = getEncoding('cl100k_base');
const o200k = getEncoding('o200k_base');

describe('getEncoding', () => {
  it('caches one Encoding per name', () => {
    expect(getEncoding('cl100k_base')).toBe(cl100k);
    expect(getEncoding('o200k_base')).toBe(o200k);
    expect(cl100k.name).toBe('cl100k_base');
    expect(o200k.name).toBe('o200k_base');
  });
});

describe('encode matches published tiktoken ids', () => {
  const cases: Array<[string, number[], number[]]> = [
    ['tiktoken is great!', [83, 1609, 5963, 374, 2294, 0], [83, 8251, 2488, 382, 2212, 0]],
    ['antidisestablishmentarianism', [519, 85342, 34500, 479, 8997, 2191], [493, 129901, 376, 160388, 21203, 2367]],
    ['2 + 2 = 4', [17, 489, 220, 17, 284, 220, 19], [17, 659, 220, 17, 314, 220, 19]],
  ];
  for (const [text, cl, o] of cases) {
    it(`cl100k_base: ${JSON.stringify(text)}`, () => {
      expect(cl100k.encode(text)).toEqual(cl);
      expect(cl100k.count(text)).toBe(cl.length);
    });
    it(`o200k_base: ${JSON.stringify(text)}`, () => {
      expect(o200k.encode(text)).toEqual(o);
      expect(o200k.count(text)).toBe(o.length);
    });
  }

  it('decode inverts encode', () => {
    for (const enc of [cl100k, o200k]) {
      const text = 'tiktoken is great! antidisestablishmentarianism 2 + 2 = 4 héllo 🌍';
      expect(enc.decode(enc.encode(text))).toBe(text);
    }
  });
});

describe('count', () => {
  it('equals encode().length for short strings', () => {
    for (const enc of [cl100k, o200k]) {
      for (const s of ['', 'a', 'Hello, world!', 'What is the meaning of life?', '  spaced   out  ']) {
        expect(enc.count(s)).toBe(enc.encode(s).length);
      }
    }
  });

  it('equals encode().length for long (cached) strings, on first and repeat calls', () => {
    for (const enc of [cl100k, o200k]) {
      const long = 'The quick brown fox jumps over the lazy dog. '.repeat(20) + enc.name; // > 256 chars
      expect(long.length).toBeGreaterThan(256);
      const expected = enc.encode(long).length;
      expect(enc.count(long)).toBe(expected);
      expect(enc.count(long)).toBe(expected);
      expect(enc.count(long)).toBe(expected);
      // A different long string of the same length must not get the cached count.
      const other = 'x'.repeat(long.length);
      expect(enc.count(other)).toBe(enc.encode(other).length);
      expect(enc.count(other)).not.toBe(expected);
    }
  });

  it('stays correct after the cache evicts (more distinct long strings than its capacity)', () => {
    const enc = cl100k;
    const make = (i: number): string => `${i}:` + ' ab'.repeat(86) + ' tail'.repeat(i % 7);
    const first = Array.from({ length: 5 }, (_, i) => make(i));
    const firstCounts = first.map((s) => enc.count(s));
    for (let i = 5; i < 2_200; i++) enc.count(make(i));
    first.forEach((s, i) => {
      expect(enc.count(s)).toBe(firstCounts[i]);
      expect(enc.count(s)).toBe(enc.encode(s).length);
    });
  });

  it('treats "<|endoftext|>" in text as ordinary text, not a special token', () => {
    const text = 'before <|endoftext|> after';
    const specials: Array<[typeof cl100k, number]> = [
      [cl100k, 100257],
      [o200k, 199999],
    ];
    for (const [enc, endOfText] of specials) {
      const ids = enc.encode(text);
      expect(ids).not.toContain(endOfText);
      expect(enc.decode(ids)).toBe(text);
      expect(enc.count(text)).toBe(ids.length);
      expect(enc.count('<|endoftext|>')).toBeGreaterThan(1);
      const long = text.repeat(20);
      expect(enc.count(long)).toBe(enc.encode(long).length);
    }
  });
});
