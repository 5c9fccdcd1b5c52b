/**
 * The encoder's hot path on its own: µs per `count` of a short prompt, a ≈4k-token prompt, prose
 * with accents, CJK and emoji, and a short all-Unicode text — optionally side by side with another
 * build's `BytePairEncoder` (e.g. a checkout of main), interleaved in one run so both see the same
 * machine.
 *
 *   node dist/bench/bpe-micro.js [--encoding o200k_base] [--other ../main/dist]
 */
import { parseArgs } from 'node:util';
import { bundledRankTable } from '../src/core/tokens/tokenizer.js';
import { BytePairEncoder, shareRankTable } from '../src/core/tokens/bpe.js';
import type { EncodingName } from '../src/core/models.js';

interface Counter {
  count(text: string): number;
  encode(text: string): number[];
}

const { values } = parseArgs({ options: { encoding: { type: 'string', default: 'o200k_base' }, other: { type: 'string' } } });
const name = values.encoding as EncodingName;
const table = bundledRankTable(name);
const ours: Counter = new BytePairEncoder(shareRankTable(table));
// Another build's encoder: before the shared tables it took js-tiktoken's table; after, the shared form.
let other: Counter | undefined;
if (values.other) {
  const mod = (await import(`${values.other}/src/core/tokens/bpe.js`)) as { BytePairEncoder: new (t: unknown) => Counter; shareRankTable?: (t: unknown) => unknown };
  other = new mod.BytePairEncoder(mod.shareRankTable ? mod.shareRankTable(table) : table);
}

const WORDS = 'the quick brown fox jumps over a lazy dog while seven wizards quietly box large green frogs'.split(' ');
const CASES: Record<string, string> = {
  'short prompt': 'What is the meaning of life?',
  '≈4k-token prompt': 'Summarise: ' + Array.from({ length: 4_000 }, (_, i) => WORDS[(i * 7) % WORDS.length]).join(' '),
  'mixed prose': Array.from({ length: 300 }, (_, i) => `Sentence ${i}: the café's naïve résumé costs 12,345.67 € — 中文字符 and emoji 🤖; okay?\n`).join(''),
  'short Unicode': '🤖🎉 emoji ünïcödé ÆØÅ 中文字符 العربية',
};

function microseconds(enc: Counter, text: string): number {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < 250) {
    for (let i = 0; i < 20; i++) enc.count(text);
    n += 20;
  }
  return ((performance.now() - start) * 1000) / n;
}
const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

console.log(`| ${name}: µs per count | this build |${other ? ` ${values.other} | ratio |` : ''}\n|---|---:|${other ? '---:|---:|' : ''}`);
for (const [label, text] of Object.entries(CASES)) {
  if (other && JSON.stringify(other.encode(text)) !== JSON.stringify(ours.encode(text))) throw new Error(`${label}: the two builds disagree`);
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < 5; round++) {
    a.push(microseconds(ours, text));
    if (other) b.push(microseconds(other, text));
  }
  const mine = median(a);
  const row = `| ${label} (${text.length} chars, ${ours.count(text)} tokens) | ${mine.toFixed(2)} |`;
  console.log(other ? `${row} ${median(b).toFixed(2)} | ${(mine / median(b)).toFixed(2)} |` : row);
}
