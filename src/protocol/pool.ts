/**
 * The worker pool's protocol: a front-end thread sends a `PoolRequest` to main over its pool port
 * (front-end/pool-client.ts), main's pool host runs the `GenerateTask` on a piscina thread
 * (workers/generate.ts) and posts the `PoolReply` back.
 */
import type { Answer } from '../core/generation/answer.js';
import type { Deployment } from '../core/config/deployments.js';
import type { GenerateOptions } from '../core/generation/options.js';
import type { LearnedCount } from '../core/tokens/counting-policy.js';
import type { Operation } from '../core/models.js';
import type { RankTables } from '../core/tokens/tokenizer.js';

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

/** The answer, and the long texts counted for it, for the asking front-end's cache. */
export interface PoolResult {
  readonly answer: Answer;
  readonly learned: readonly LearnedCount[];
}

export interface PoolRequest {
  readonly id: number;
  readonly task: GenerateTask;
}

export interface PoolReply {
  readonly id: number;
  readonly answer: Answer;
  /** Long texts the worker counted: remembered here, so the same prompt next time stays inline. */
  readonly learned?: readonly LearnedCount[];
}
