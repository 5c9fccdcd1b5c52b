/**
 * This project's byte-pair encoder (src/core/tokens/bpe.ts) against js-tiktoken's own `encode`,
 * over the same rank table, on a short chat prompt and a 1 KiB text: the figures
 * docs/architecture.md quotes ("Tokenizer"). Both must give the same ids, or nothing is printed.
 */
import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import { BytePairEncoder, shareRankTable } from '../../src/core/tokens/bpe.js';
import { compare, report, type Timing } from './timing.js';

const SHORT = 'What is the meaning of life?';
const LONG = ('The quick brown fox jumps over the lazy dog; naïve café owners sell 1,234 croissants. ' as string).repeat(12).slice(0, 1024);

export function tokenizerBench(): Timing[] {
  const ours = new BytePairEncoder(shareRankTable(cl100k));
  const theirs = new Tiktoken(cl100k);
  for (const text of [SHORT, LONG]) {
    if (JSON.stringify(ours.encode(text)) !== JSON.stringify(theirs.encode(text))) throw new Error(`the encoders disagree on ${JSON.stringify(text.slice(0, 40))}`);
  }
  const all: Timing[] = [];
  for (const [label, text] of [['short prompt (28 chars)', SHORT], ['1 KiB text', LONG]] as const) {
    const timings = compare([
      [`js-tiktoken encode, ${label}`, () => theirs.encode(text)],
      [`our BytePairEncoder.encode, ${label}`, () => ours.encode(text)],
    ]);
    report(`Tokenizer (cl100k_base), ${label}: baseline js-tiktoken`, timings);
    all.push(...timings);
  }
  return all;
}

if (import.meta.url === `file://${process.argv[1]}`) tokenizerBench();
