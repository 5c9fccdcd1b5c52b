#!/usr/bin/env node
/**
 * Fills a tiktoken cache directory (for `TIKTOKEN_CACHE_DIR` and the Docker builds):
 *
 *   setup-tiktoken [DIR]             export the ranks bundled in js-tiktoken as OpenAI's files (no network)
 *   setup-tiktoken --download [DIR]  download OpenAI's files (the semi-restricted Docker build)
 *   setup-tiktoken --check [DIR]     verify the files already there (the restricted Docker build)
 *
 * DIR defaults to `tiktoken_cache`. Every file written or found is checked against OpenAI's
 * published sha256, the same check the simulator makes at start; a mismatch writes nothing and
 * exits 1.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EncodingName } from './core/models.js';
import { sha256Of, TIKTOKEN_FILES, tiktokenFileOf } from './core/tokens/tiktoken-file.js';
import { bundledRankTable } from './core/tokens/tokenizer.js';
import { ENCODINGS } from './core/generation/warm-up.js';
import { SimulatorError, StartupError } from './core/errors.js';
import { loadTiktokenCache } from './process/tiktoken-cache.js';

type Source = (name: EncodingName) => Promise<Buffer>;

const SOURCES: Readonly<Record<'export' | 'download', Source>> = {
  export: async (name) => Buffer.from(tiktokenFileOf(bundledRankTable(name)), 'latin1'),
  download: async (name) => {
    const { url } = TIKTOKEN_FILES[name];
    const res = await fetch(url).catch((err: Error) => {
      throw new StartupError(`cannot download ${url}: ${(err.cause as Error | undefined)?.message ?? err.message}`);
    });
    if (!res.ok) throw new StartupError(`cannot download ${url}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  },
};

async function fill(dir: string, source: Source, how: string): Promise<void> {
  // Everything is fetched and checked before anything is written: a bad source leaves DIR as it was.
  const files: [EncodingName, Buffer][] = [];
  for (const name of ENCODINGS) {
    const bytes = await source(name);
    const { sha256 } = TIKTOKEN_FILES[name];
    const actual = sha256Of(bytes);
    if (actual !== sha256) throw new StartupError(`${name}: the ${how} file's sha256 is ${actual}, not OpenAI's published ${sha256}; nothing written`);
    files.push([name, bytes]);
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) {
    const path = join(dir, TIKTOKEN_FILES[name].cacheName);
    writeFileSync(`${path}.tmp`, bytes);
    renameSync(`${path}.tmp`, path);
    process.stdout.write(`${path}  ${name}.tiktoken (${how}), sha256 ${TIKTOKEN_FILES[name].sha256} = OpenAI's published value\n`);
  }
}

function check(dir: string): void {
  loadTiktokenCache(dir);
  for (const name of ENCODINGS) {
    process.stdout.write(`${join(dir, TIKTOKEN_FILES[name].cacheName)}  ${name}.tiktoken, sha256 ${TIKTOKEN_FILES[name].sha256} = OpenAI's published value\n`);
  }
}

async function main(args: readonly string[]): Promise<void> {
  const flag = args[0]?.startsWith('--') ? args[0] : undefined;
  const dir = resolve(args[flag ? 1 : 0] ?? 'tiktoken_cache');
  if (flag === undefined) return fill(dir, SOURCES.export, 'exported from js-tiktoken');
  if (flag === '--download') return fill(dir, SOURCES.download, 'downloaded');
  if (flag === '--check') return check(dir);
  throw new StartupError(`unknown option ${flag}; usage: setup-tiktoken [--download | --check] [DIR]`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`setup-tiktoken: ${err instanceof SimulatorError ? err.message : (err.stack ?? err.message)}\n`);
  process.exit(1);
});
