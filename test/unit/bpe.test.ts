/**
 * The simulator's byte-pair encoder against js-tiktoken's own encoder (the oracle) on the same
 * rank tables: identical token ids and round-trips on fixed samples and on seeded random text
 * mixing ASCII, accented and CJK letters, emoji, digits, whitespace runs and newlines.
 */
import { getEncoding as oracle } from 'js-tiktoken';
import { describe, expect, it } from 'vitest';
import { getEncoding } from '../../src/core/tokens/tokenizer.js';
import { seededRandom as seeded } from '../../src/core/random.js';

const FIXED = [
  '',
  'tiktoken is great!',
  "I'm here, you're THERE'LL   \n\n  x",
  '<|endoftext|> is plain text here',
  '🤖🎉 emoji ünïcödé ÆØÅ 中文字符 العربية',
  'function f(x) {\n  return x * 2; // comment\n}\n',
  '     lots    of     spaces   \t\t',
  '1234567890 3.14159 1e10 0x1F',
  'a'.repeat(500),
];

function randomText(rand: () => number): string {
  let s = '';
  const n = Math.floor(rand() * 120);
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.55) s += String.fromCharCode(32 + Math.floor(rand() * 95));
    else if (r < 0.7) s += String.fromCharCode(0xc0 + Math.floor(rand() * 0x180));
    else if (r < 0.8) s += String.fromCharCode(0x4e00 + Math.floor(rand() * 0x500));
    else if (r < 0.88) s += String.fromCodePoint(0x1f300 + Math.floor(rand() * 400));
    else if (r < 0.94) s += rand() < 0.5 ? '\n' : '  ';
    else s += String(Math.floor(rand() * 100000));
  }
  return s;
}

describe.each(['cl100k_base', 'o200k_base'] as const)('BytePairEncoder (%s)', (name) => {
  const ours = getEncoding(name);
  const theirs = oracle(name);
  const rand = seeded(name === 'cl100k_base' ? 1 : 2);
  const samples = [...FIXED, ...Array.from({ length: 1500 }, () => randomText(rand))];

  it('produces exactly js-tiktoken’s token ids', () => {
    for (const text of samples) expect(ours.encode(text), JSON.stringify(text)).toEqual(theirs.encode(text, [], []));
  });

  it('decodes back to the text and counts what it encodes', () => {
    for (const text of samples) {
      const ids = ours.encode(text);
      expect(ours.decode(ids)).toBe(text);
      expect(ours.count(text)).toBe(ids.length);
    }
  });
});
