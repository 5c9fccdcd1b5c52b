import { describe, expect, it } from 'vitest';
import { countInline, countLearning, HeavyCount } from '../../src/core/tokens/counting-policy.js';
import { getEncoding } from '../../src/core/tokens/tokenizer.js';

const unique = (chars: number, seed: string): string => `${seed} ` + 'lorem ipsum dolor sit amet '.repeat(Math.ceil(chars / 27)).slice(0, chars);

describe('counting policy', () => {
  const enc = getEncoding('cl100k_base');

  it('inline: counts under the budget, refuses uncached text past it, short strings included', () => {
    expect(countInline(10_000, () => enc.count(unique(5_000, 'a')))).toBeGreaterThan(0);
    expect(() => countInline(10_000, () => enc.count(unique(20_000, 'b')))).toThrow(HeavyCount);
    // Many short strings add up too (each one under the cache's minimum length).
    expect(() => countInline(100, () => Array.from({ length: 20 }, (_, i) => enc.count(`word ${i}`)))).toThrow(HeavyCount);
    // Outside a policy nothing is refused.
    expect(enc.count(unique(20_000, 'c'))).toBeGreaterThan(0);
  });

  it('a cached text costs no budget: what was counted once stays inline', () => {
    const text = unique(20_000, 'd');
    const n = enc.count(text); // now cached in this thread
    expect(countInline(1_000, () => enc.count(text))).toBe(n);
  });

  it('learning: reports the long texts a worker saw before (not those seen once), and remember() makes them cached elsewhere', () => {
    const long = unique(3_000, 'e');
    const first = countLearning(1_024, () => enc.count(long) + enc.count('short text, not reported'));
    // Seen once: a unique prompt is not sent back (it would only churn the front-end's cache).
    expect(first.learned).toEqual([]);
    const { result, learned } = countLearning(1_024, () => enc.count(long) + enc.count('short text, not reported'));
    expect(learned).toEqual([['cl100k_base', long, enc.count(long)]]);
    expect(result).toBe(first.result);
    expect(result).toBe(enc.count(long) + enc.count('short text, not reported'));

    const other = unique(30_000, 'f');
    expect(() => countInline(1_000, () => enc.count(other))).toThrow(HeavyCount);
    enc.remember(other, 4242);
    expect(countInline(1_000, () => enc.count(other))).toBe(4242);
  });
});
