/**
 * The lorem corpora every thread takes its answers from, built once per process in shared memory
 * (core/generation/lorem.ts), like the rank tables they are built from, and handed to the threads
 * in their start data. The build runs in a thread of its own that then ends (workers/lorem.ts):
 * idle RSS at 1 front-end thread (`node dist/bench/idle-memory.js`) is 6–9 MB lower than with
 * the build on main (docs/architecture.md, Memory).
 */
import { Worker } from 'node:worker_threads';
import type { LoremTables } from '../core/generation/lorem.js';
import type { RankTables } from '../core/tokens/tokenizer.js';

const LOREM_WORKER = new URL('../workers/lorem.js', import.meta.url);

export function processLoremCorpora(rankTables: RankTables): Promise<LoremTables> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOREM_WORKER, { workerData: rankTables });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the lorem corpora's thread exited (code ${code}) before answering`)));
  });
}
