/**
 * A thread given a tiktoken cache encodes with its tables, not the bundled ones — and refuses a
 * swap once an encoding is in use (counts would silently mix two tables).
 * Its own file: it changes the tokenizer module's state for the whole test process.
 */
import { describe, expect, it } from 'vitest';
import { shareRankTable } from '../../src/core/tokens/bpe.js';
import { getEncoding, useRankTables } from '../../src/core/tokens/tokenizer.js';

describe('useRankTables', () => {
  it('makes getEncoding use the given table, and refuses once the encoding is loaded', () => {
    // A toy table: "a"=0, "b"=1, "ab"=2; one piece per run of letters.
    useRankTables({ cl100k_base: shareRankTable({ pat_str: '[a-z]+', bpe_ranks: '! 0 YQ== Yg== YWI=' }) });
    expect(getEncoding('cl100k_base').encode('ab ba')).toEqual([2, 1, 0]);
    expect(() => useRankTables({ cl100k_base: shareRankTable({ pat_str: '.', bpe_ranks: '' }) })).toThrow('cl100k_base is already in use');
  });
});
