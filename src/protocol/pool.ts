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
import type { LoremTables } from '../core/generation/lorem.js';

export interface GenerateTask {
  readonly operation: Operation;
  /**
   * The body as the front end parsed it. A request this heavy is mostly one long string, and
   * cloning the few objects around it across threads cost 13–17 µs for a ≈4k-token chat body where
   * sending the text and parsing it again cost 30–34 µs (docs/architecture.md, "The pool").
   */
  readonly body: Readonly<Record<string, unknown>>;
  readonly deployment: Deployment;
  readonly options: GenerateOptions;
}

/** What the cluster gives every pool thread. */
export interface PoolWorkerData {
  /** The rank tables in shared memory, built once by main (one copy for every thread). */
  readonly rankTables: RankTables | undefined;
  /** The lorem corpora in shared memory, built once per process from those tables. */
  readonly lorem: LoremTables | undefined;
}

/** The answer, and the long texts it found in its cache (seen before), for the asking front-end's cache. */
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
  /** Long texts the worker saw again (a repeated prompt): remembered here, so the next one stays inline. */
  readonly learned?: readonly LearnedCount[];
}
