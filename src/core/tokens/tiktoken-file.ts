/**
 * The classic `.tiktoken` file — what OpenAI publishes and Python's tiktoken caches: one
 * `base64-token rank` line per token, in rank order. The simulator's encoder takes js-tiktoken's
 * compressed `RankTable` instead, so this module converts both ways (pure; the files themselves
 * are read and written by `process/tiktoken-cache.ts` and `setup-tiktoken.ts`).
 *
 * A cache directory (`TIKTOKEN_CACHE_DIR`) holds each file under the sha1 of its download URL,
 * as tiktoken names them, so one directory serves this simulator and Python tooling alike.
 */
import { createHash } from 'node:crypto';
import type { RankTable } from './bpe.js';
import type { EncodingName } from '../models.js';
import { SimulatorError } from '../errors.js';

export interface TiktokenFile {
  readonly url: string;
  /** OpenAI's published sha256 of the file (tiktoken's `expected_hash`). */
  readonly sha256: string;
  /** Its name in a cache directory: the sha1 of `url`. */
  readonly cacheName: string;
}

const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex');

export const sha256Of = (bytes: string | Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function published(name: EncodingName, sha256: string): TiktokenFile {
  const url = `https://openaipublic.blob.core.windows.net/encodings/${name}.tiktoken`;
  return { url, sha256, cacheName: sha1(url) };
}

export const TIKTOKEN_FILES: Readonly<Record<EncodingName, TiktokenFile>> = {
  cl100k_base: published('cl100k_base', '223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7'),
  o200k_base: published('o200k_base', '446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d'),
};

/** Each line of js-tiktoken's table is `<key> <first rank> <token> <token> …` (consecutive ranks). */
function* ranksOf(table: RankTable): Generator<[token: string, rank: number]> {
  for (const line of table.bpe_ranks.split('\n')) {
    if (line === '') continue;
    const fields = line.split(' ');
    const first = Number.parseInt(fields[1]!, 10);
    for (let i = 2; i < fields.length; i++) yield [fields[i]!, first + i - 2];
  }
}

/** The classic file for a rank table; byte for byte OpenAI's file when the ranks are the same. */
export function tiktokenFileOf(table: RankTable): string {
  const lines = [...ranksOf(table)].sort((a, b) => a[1] - b[1]).map(([token, rank]) => `${token} ${rank}\n`);
  return lines.join('');
}

export class TiktokenFileError extends SimulatorError {
  override name = 'TiktokenFileError';
  readonly code = 'SIM_ERR_TIKTOKEN_FILE';
}

const LINE = /^([A-Za-z0-9+/]+={0,2}) (\d+)$/;

/**
 * A rank table from a classic file. The file has no splitting pattern (tiktoken keeps it in code),
 * so the caller gives it. Runs of consecutive ranks become one line, as in js-tiktoken's tables,
 * so `BytePairEncoder` reads either the same way.
 */
export function rankTableOf(text: string, patStr: string, source: string): RankTable {
  const lines: string[] = [];
  let run: string[] = [];
  let next = -1;
  const flush = (): void => {
    if (run.length > 0) lines.push(`! ${next - run.length} ${run.join(' ')}`);
    run = [];
  };
  const rows = text.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row === '') continue;
    const m = LINE.exec(row);
    if (!m) throw new TiktokenFileError(`${source}: line ${i + 1} is not "<base64 token> <rank>"`);
    const rank = Number(m[2]);
    if (rank !== next) {
      flush();
      next = rank;
    }
    run.push(m[1]!);
    next++;
  }
  flush();
  if (lines.length === 0) throw new TiktokenFileError(`${source}: no tokens`);
  return { pat_str: patStr, bpe_ranks: lines.join('\n') };
}
