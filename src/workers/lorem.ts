/**
 * A short-lived thread main starts once at start-up (process/lorem-corpora.ts): it builds every
 * encoding's lorem corpus in shared memory, from the process's shared rank tables, posts them
 * back and ends. Built here rather than on main, the build's garbage (~10 MB allocated, a
 * young generation's worth of pages touched) goes with this thread's heap instead of staying
 * resident in main's, whose young generation is not capped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { shareLoremCorpora, type LoremTables } from '../core/generation/lorem.js';
import type { RankTables } from '../core/tokens/tokenizer.js';

parentPort!.postMessage(shareLoremCorpora(workerData as RankTables) satisfies LoremTables);
