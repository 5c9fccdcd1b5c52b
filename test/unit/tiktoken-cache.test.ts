/**
 * Loading `TIKTOKEN_CACHE_DIR`: OpenAI's files give working encoders; a missing directory, a
 * missing file or a file whose sha256 is not OpenAI's is a start-up error naming the file.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BytePairEncoder, shareRankTable } from '../../src/core/tokens/bpe.js';
import { TIKTOKEN_FILES } from '../../src/core/tokens/tiktoken-file.js';
import { bundledRankTable } from '../../src/core/tokens/tokenizer.js';
import { StartupError } from '../../src/core/errors.js';
import { loadTiktokenCache } from '../../src/process/tiktoken-cache.js';

const COMMITTED = fileURLToPath(new URL('../../tiktoken_cache/', import.meta.url));
const CL100K = TIKTOKEN_FILES.cl100k_base.cacheName;
const O200K = TIKTOKEN_FILES.o200k_base.cacheName;

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tiktoken-cache-'));
  for (const name of [CL100K, O200K]) copyFileSync(join(COMMITTED, name), join(dir, name));
  return dir;
}

function startupError(dir: string): StartupError {
  try {
    loadTiktokenCache(dir);
  } catch (err) {
    expect(err).toBeInstanceOf(StartupError);
    return err as StartupError;
  }
  throw new Error('loadTiktokenCache accepted the directory');
}

describe('loadTiktokenCache', () => {
  it("loads OpenAI's files into tables that encode as the bundled ones", () => {
    const tables = loadTiktokenCache(cacheDir());
    for (const name of ['cl100k_base', 'o200k_base'] as const) {
      expect(tables[name].pat_str).toBe(bundledRankTable(name).pat_str);
      const text = "The simulator's tokenizer: 中文, émoji 🤖, 12345.";
      expect(new BytePairEncoder(shareRankTable(tables[name])).encode(text)).toEqual(new BytePairEncoder(shareRankTable(bundledRankTable(name))).encode(text));
    }
  });

  it('a missing file is an error naming it, its URL and how to make it', () => {
    const dir = cacheDir();
    rmSync(join(dir, O200K));
    const err = startupError(dir);
    expect(err.message).toContain(`the o200k_base file ${join(dir, O200K)} is missing`);
    expect(err.message).toContain('https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken');
    expect(err.message).toContain('make setup-tiktoken');
  });

  it('an altered file is an error naming it and both sha256 values', () => {
    const dir = cacheDir();
    const path = join(dir, CL100K);
    const bytes = readFileSync(path);
    bytes[0] = 'J'.charCodeAt(0); // "IQ== 0" -> "JQ== 0": still a well-formed file, wrong ranks
    writeFileSync(path, bytes);
    const err = startupError(dir);
    expect(err.message).toContain(`${path} is not OpenAI's cl100k_base.tiktoken: its sha256 is `);
    expect(err.message).toContain('expected 223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7');
  });

  it('a directory that does not exist is an error', () => {
    expect(startupError('/nonexistent/tiktoken_cache').message).toBe(
      'TIKTOKEN_CACHE_DIR: /nonexistent/tiktoken_cache is not a directory (`make setup-tiktoken` writes the files with no network)',
    );
  });
});
