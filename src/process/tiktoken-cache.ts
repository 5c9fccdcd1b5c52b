/**
 * Reads the tokenizer files of `TIKTOKEN_CACHE_DIR` (the classic `.tiktoken` files, named by the
 * sha1 of their download URL) and checks each against OpenAI's published sha256. Called once at
 * start by the main thread, so a missing or altered file stops the start with one clear line;
 * the threads get the converted tables (in shared memory) and never read the directory themselves.
 *
 * Every encoding is required, not only those of the configured deployments: each thread warms up
 * both (undefined deployment names and `PATCH /++/config` can bring in any model at run time).
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RankTable } from '../core/tokens/bpe.js';
import type { EncodingName } from '../core/models.js';
import { rankTableOf, sha256Of, TIKTOKEN_FILES } from '../core/tokens/tiktoken-file.js';
import { bundledRankTable, shareRankTables, type RankSources, type RankTables } from '../core/tokens/tokenizer.js';
import { ENCODINGS } from '../core/generation/warm-up.js';
import { StartupError } from '../core/errors.js';

const SETUP_HINT = '`make setup-tiktoken` writes the files with no network';

function readRequired(dir: string, name: EncodingName): Buffer {
  const file = TIKTOKEN_FILES[name];
  const path = join(dir, file.cacheName);
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'is missing' : `cannot be read (${code ?? (err as Error).message})`;
    throw new StartupError(`TIKTOKEN_CACHE_DIR: the ${name} file ${path} ${why} (it is ${file.url}, named by the sha1 of that URL; ${SETUP_HINT})`);
  }
}

/** The verified rank tables of every encoding, from `dir`. */
export function loadTiktokenCache(dir: string): RankSources {
  const root = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new StartupError(`TIKTOKEN_CACHE_DIR: ${root} is not a directory (${SETUP_HINT})`);
  const tables: Partial<Record<EncodingName, RankTable>> = {};
  for (const name of ENCODINGS) {
    const bytes = readRequired(root, name);
    const { sha256 } = TIKTOKEN_FILES[name];
    const actual = sha256Of(bytes);
    if (actual !== sha256) {
      throw new StartupError(
        `TIKTOKEN_CACHE_DIR: ${join(root, TIKTOKEN_FILES[name].cacheName)} is not OpenAI's ${name}.tiktoken: its sha256 is ${actual}, expected ${sha256} (${SETUP_HINT})`,
      );
    }
    // The file holds the ranks only; the splitting pattern is the encoding's, as in tiktoken.
    tables[name] = rankTableOf(bytes.toString('latin1'), bundledRankTable(name).pat_str, join(root, TIKTOKEN_FILES[name].cacheName));
  }
  return tables as RankSources;
}

/**
 * What every thread encodes with: the verified tables of `dir` when it is set, else the bundled
 * ones — built once here, in shared memory, so the threads share one copy (`workerData` shares a
 * SharedArrayBuffer rather than copying it).
 */
export function processRankTables(dir: string | undefined): RankTables {
  return shareRankTables(dir ? loadTiktokenCache(dir) : undefined);
}
