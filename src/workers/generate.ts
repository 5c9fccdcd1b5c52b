/**
 * Piscina worker: generates answers for requests too heavy to run in a front-end thread (long
 * prompts to tokenise, long answers to build). Thin by design: parse, call core, return.
 */
import { workerData } from 'piscina';
import type { Answer } from '../core/answer.js';
import type { Deployment } from '../core/deployments.js';
import { errors } from '../core/errors.js';
import { generate, type GenerateOptions } from '../core/generate.js';
import type { Operation } from '../core/models.js';
import { warmUp } from '../core/warm-up.js';
import { useRankTables, type RankTables } from '../core/tokenizer.js';

export interface GenerateTask {
  readonly operation: Operation;
  /** The raw JSON body: cloning a string across threads is a copy, an object graph a walk. */
  readonly body: string;
  readonly deployment: Deployment;
  readonly options: GenerateOptions;
}

/** What the cluster gives every pool thread. */
export interface PoolWorkerData {
  /** `TIKTOKEN_CACHE_DIR`'s tables, read and verified by main; undefined: the bundled ones. */
  readonly rankTables: RankTables | undefined;
}

const { rankTables } = (workerData ?? {}) as Partial<PoolWorkerData>;
if (rankTables) useRankTables(rankTables);
warmUp();

export default function run(task: GenerateTask): Answer {
  let body: unknown;
  try {
    body = JSON.parse(task.body);
  } catch {
    return { kind: 'error', error: errors.invalidJson() };
  }
  return generate(task.operation, body, task.deployment, task.options);
}
