/**
 * The lorem corpora as the threads get them: built once in shared memory, handed over in
 * `workerData` (shared, not copied), answering exactly as a corpus built in the thread would.
 * Its own file: `useLoremCorpora` changes the lorem module's state for the whole test process.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { corpusFor, LoremCorpus, shareLorem, useLoremCorpora, type SharedLorem } from '../../src/core/generation/lorem.js';
import { getEncoding, shareRankTables } from '../../src/core/tokens/tokenizer.js';
import { seededRandom } from '../../src/core/random.js';

const LOREM = fileURLToPath(new URL('../../dist/src/core/generation/lorem.js', import.meta.url));
const RANDOM = fileURLToPath(new URL('../../dist/src/core/random.js', import.meta.url));
/** Main's side, built: it starts the build thread (dist/src/workers/lorem.js) next to it. */
const PROCESS_LOREM = new URL('../../dist/src/process/lorem-corpora.js', import.meta.url).href;

/** Answers for seeds 1..40, alternating `take` and `takeSentences`: what a thread would send. */
const answersOf = (corpus: LoremCorpus): string[] =>
  Array.from({ length: 40 }, (_, i) => {
    const random = seededRandom(i + 1);
    const g = i % 2 ? corpus.take(1 + i * 37, random) : corpus.takeSentences(20 + i * 5, Infinity, random)!;
    return `${g.count}|${g.text}|${g.tokens.join('\u0001')}`;
  });

describe('shared lorem corpora', () => {
  it("main's build thread gives every encoding's corpus in shared memory, answering exactly as one built here", async () => {
    const { processLoremCorpora } = (await import(PROCESS_LOREM)) as typeof import('../../src/process/lorem-corpora.js');
    const corpora = await processLoremCorpora(shareRankTables());
    expect(Object.keys(corpora).sort()).toEqual(['cl100k_base', 'o200k_base']);
    for (const name of ['cl100k_base', 'o200k_base'] as const) {
      expect(corpora[name]!.memory).toBeInstanceOf(SharedArrayBuffer);
      expect(answersOf(new LoremCorpus(corpora[name]!))).toEqual(answersOf(new LoremCorpus(shareLorem(getEncoding(name)))));
    }
  });

  it('reach a worker thread shared, not copied, and answer there exactly as a corpus built here', async () => {
    const shared = shareLorem(getEncoding('cl100k_base'));
    expect(shared.memory).toBeInstanceOf(SharedArrayBuffer);
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      Promise.all([import(workerData.lorem), import(workerData.random)]).then(([{ LoremCorpus }, { seededRandom }]) => {
        const corpus = new LoremCorpus(workerData.shared);
        const answers = Array.from({ length: 40 }, (_, i) => {
          const random = seededRandom(i + 1);
          const g = i % 2 ? corpus.take(1 + i * 37, random) : corpus.takeSentences(20 + i * 5, Infinity, random);
          return g.count + '|' + g.text + '|' + g.tokens.join('\\u0001');
        });
        // Written in the worker, read by the test: one memory, not a copy.
        new Uint8Array(workerData.shared.memory)[0] = 0xab;
        parentPort.postMessage(answers);
      });`;
    const answers = await new Promise<string[]>((resolve, reject) => {
      const worker = new Worker(source, { eval: true, workerData: { shared, lorem: LOREM, random: RANDOM } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    // A thread given no shared corpus builds its own from the same encoding and seed: the same answers.
    expect(answers).toEqual(answersOf(corpusFor(getEncoding('cl100k_base'))));
    expect(new Uint8Array(shared.memory)[0]).toBe(0xab);
  });

  it('useLoremCorpora makes corpusFor read the given corpus, and refuses once the encoding is in use', () => {
    const encoding = getEncoding('o200k_base');
    const other: SharedLorem = shareLorem(encoding, 42);
    useLoremCorpora({ o200k_base: other });
    expect(answersOf(corpusFor(encoding))).toEqual(answersOf(new LoremCorpus(other)));
    expect(answersOf(corpusFor(encoding))).not.toEqual(answersOf(new LoremCorpus(shareLorem(encoding))));
    expect(() => useLoremCorpora({ o200k_base: shareLorem(encoding) })).toThrow("o200k_base's corpus is already in use");
  });
});
