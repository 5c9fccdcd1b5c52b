/**
 * The classic `.tiktoken` format: exporting js-tiktoken's bundled ranks gives OpenAI's published
 * files byte for byte (sha256), the committed `tiktoken_cache/` holds exactly those, and a table
 * read back from a file encodes exactly as the bundled one.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BytePairEncoder, shareRankTable } from '../../src/core/tokens/bpe.js';
import { rankTableOf, sha256Of, TIKTOKEN_FILES, TiktokenFileError, tiktokenFileOf } from '../../src/core/tokens/tiktoken-file.js';
import { bundledRankTable } from '../../src/core/tokens/tokenizer.js';

const CACHE_DIR = fileURLToPath(new URL('../../tiktoken_cache/', import.meta.url));
const NAMES = ['cl100k_base', 'o200k_base'] as const;

// OpenAI's published values (tiktoken's `expected_hash`), written out here rather than read from
// the code under test.
const PUBLISHED_SHA256 = {
  cl100k_base: '223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7',
  o200k_base: '446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d',
};
// sha1 of https://openaipublic.blob.core.windows.net/encodings/<name>.tiktoken, tiktoken's cache key.
const CACHE_NAMES = { cl100k_base: '9b5ad71b2ce5302211f9c61530b329a4922fc6a4', o200k_base: 'fb374d419588a4632f3f557e76b4b70aebbca790' };

const exported = Object.fromEntries(NAMES.map((n) => [n, tiktokenFileOf(bundledRankTable(n))])) as Record<(typeof NAMES)[number], string>;

describe('the exported cache files', () => {
  for (const name of NAMES) {
    it(`${name}: sha256 equals OpenAI's published value, file named by the sha1 of its URL`, () => {
      expect(sha256Of(Buffer.from(exported[name], 'latin1'))).toBe(PUBLISHED_SHA256[name]);
      expect(TIKTOKEN_FILES[name].sha256).toBe(PUBLISHED_SHA256[name]);
      expect(TIKTOKEN_FILES[name].url).toBe(`https://openaipublic.blob.core.windows.net/encodings/${name}.tiktoken`);
      expect(TIKTOKEN_FILES[name].cacheName).toBe(CACHE_NAMES[name]);
    });

    it(`${name}: the committed tiktoken_cache/ file is that file`, () => {
      const committed = readFileSync(`${CACHE_DIR}${CACHE_NAMES[name]}`);
      expect(sha256Of(committed)).toBe(PUBLISHED_SHA256[name]);
      expect(committed.toString('latin1')).toBe(exported[name]);
    });
  }

  it('has one "base64 rank" line per token, in rank order', () => {
    const lines = exported.cl100k_base.split('\n');
    expect(lines.slice(0, 3)).toEqual(['IQ== 0', 'Ig== 1', 'Iw== 2']); // "!", '"', "#"
    expect(lines.at(-1)).toBe(''); // newline-terminated
    expect(lines).toHaveLength(100_256 + 1);
  });
});

describe('rankTableOf', () => {
  const texts = ['tiktoken is great!', "I'm here, you're THERE'LL  \n\n x", '🤖 ünïcödé 中文字符 1234567 <|endoftext|>', 'a'.repeat(300)];

  for (const name of NAMES) {
    it(`${name}: a table read from the file encodes exactly as the bundled one`, () => {
      const fromFile = new BytePairEncoder(shareRankTable(rankTableOf(exported[name], bundledRankTable(name).pat_str, 'test')));
      const bundled = new BytePairEncoder(shareRankTable(bundledRankTable(name)));
      for (const text of texts) {
        expect(fromFile.encode(text)).toEqual(bundled.encode(text));
        expect(fromFile.decode(fromFile.encode(text))).toBe(text);
      }
    });
  }

  it('keeps gaps in the ranks (a new run starts after one) and round-trips', () => {
    const file = 'YQ== 0\nYg== 1\nYWI= 5\nYw== 6\n';
    const table = rankTableOf(file, 'x', 'test');
    expect(table.bpe_ranks).toBe('! 0 YQ== Yg==\n! 5 YWI= Yw==');
    expect(tiktokenFileOf(table)).toBe(file);
    expect(new BytePairEncoder(shareRankTable({ pat_str: '\\w+', bpe_ranks: table.bpe_ranks })).encode('abc')).toEqual([5, 6]);
  });

  it('names the file and line of a malformed line, and rejects an empty file', () => {
    expect(() => rankTableOf('YQ== 0\nnot a line\n', 'x', '/cache/f')).toThrow(new TiktokenFileError('/cache/f: line 2 is not "<base64 token> <rank>"'));
    expect(() => rankTableOf('\n', 'x', '/cache/f')).toThrow('/cache/f: no tokens');
  });
});
