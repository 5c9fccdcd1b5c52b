/**
 * Piscina worker: generates answers for requests too heavy to run in a front-end thread (long
 * prompts to tokenise, long answers to build). Thin by design: call core, return (the body comes parsed). Its
 * messages are in protocol/pool.ts.
 */
import { workerData } from 'piscina';
import { countLearning } from '../core/tokens/counting-policy.js';
import { generate } from '../core/generation/index.js';
import { warmUp } from '../core/generation/warm-up.js';
import { useLoremCorpora } from '../core/generation/lorem.js';
import { useRankTables } from '../core/tokens/tokenizer.js';
import type { GenerateTask, PoolResult, PoolWorkerData } from '../protocol/pool.js';

const { rankTables, lorem } = (workerData ?? {}) as Partial<PoolWorkerData>;
if (rankTables) useRankTables(rankTables);
if (lorem) useLoremCorpora(lorem);
warmUp();

/** Texts shorter than this cost less to count again than to send back. */
const LEARN_MIN_CHARS = 1024;

export default function run(task: GenerateTask): PoolResult {
  const { result, learned } = countLearning(LEARN_MIN_CHARS, () => generate(task.operation, task.body, task.deployment, task.options));
  return { answer: result, learned };
}
