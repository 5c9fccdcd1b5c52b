/**
 * Piscina worker: generates answers for requests too heavy to run in a front-end thread (long
 * prompts to tokenise, long answers to build). Thin by design: parse, call core, return.
 */
import { workerData } from 'piscina';
import type { Answer } from '../core/generation/answer.js';
import type { Deployment } from '../core/config/deployments.js';
import { countLearning, type LearnedCount } from '../core/tokens/counting-policy.js';
import { errors } from '../core/errors.js';
import { generate, type GenerateOptions } from '../core/generation/index.js';
import type { Operation } from '../core/models.js';
import { warmUp } from '../core/generation/warm-up.js';
import { useRankTables, type RankTables } from '../core/tokens/tokenizer.js';

export interface GenerateTask {
  readonly operation: Operation;
  /** The raw JSON body: cloning a string across threads is a copy, an object graph a walk. */
  readonly body: string;
  readonly deployment: Deployment;
  readonly options: GenerateOptions;
}

/** What the cluster gives every pool thread. */
export interface PoolWorkerData {
  /** The rank tables in shared memory, built once by main (one copy for every thread). */
  readonly rankTables: RankTables | undefined;
}

const { rankTables } = (workerData ?? {}) as Partial<PoolWorkerData>;
if (rankTables) useRankTables(rankTables);
warmUp();

/** The answer, and the long texts counted for it, for the asking front-end's cache. */
export interface PoolResult {
  readonly answer: Answer;
  readonly learned: readonly LearnedCount[];
}

/** Texts shorter than this cost less to count again than to send back. */
const LEARN_MIN_CHARS = 1024;

export default function run(task: GenerateTask): PoolResult {
  let body: unknown;
  try {
    body = JSON.parse(task.body);
  } catch {
    return { answer: { kind: 'error', error: errors.invalidJson() }, learned: [] };
  }
  const { result, learned } = countLearning(LEARN_MIN_CHARS, () => generate(task.operation, body, task.deployment, task.options));
  return { answer: result, learned };
}
