/**
 * Main's side of the worker pool: front-end threads send heavy tasks over their pool port, the one
 * piscina pool runs them, the answer goes back under the task's id. Control enters here from
 * outside (a port message, the pool's promise), so failures are contained here: a task that fails
 * is answered with a 500 for its request, and a reply that cannot be posted (the asking thread has
 * gone) is logged, never thrown into main.
 *
 * The queue is bounded: with `maxQueue` tasks already waiting for a pool thread, a task is refused
 * at once with the service's peak-load 429 and a `retry-after-ms` of about the time the queue takes
 * to drain — what an overloaded deployment answers — instead of waiting seconds behind the others.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { errors } from '../core/errors.js';
import type { PoolReply, PoolRequest, PoolResult } from '../protocol/pool.js';
import type { Log } from '../log.js';

/** The retry hint's range: a storm of instant retries helps nobody; the SDK ignores 60 s and more. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 59_000;

export interface PoolBound {
  /** Tasks waiting for a thread (SIMULATOR_POOL_MAX_QUEUE) past which a task is refused. */
  readonly maxQueue: number;
  /** Called once per refused task (the metrics' count). */
  readonly refused: () => void;
}

/** About how long the queue now takes to drain: tasks waiting × mean run time ÷ threads. */
export function retryAfterMs(queued: number, meanRunMs: number, threads: number): number {
  const estimate = Math.ceil((queued * (Number.isFinite(meanRunMs) ? meanRunMs : 0)) / Math.max(1, threads));
  return Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, estimate));
}

export function servePool(port: MessagePort, pool: () => Piscina, bound: PoolBound, log: Log): void {
  const post = (reply: PoolReply): void => {
    try {
      port.postMessage(reply);
    } catch (err) {
      log.warn(`pool answer ${reply.id} not delivered: ${(err as Error).message}`);
    }
  };
  port.on('message', ({ id, task }: PoolRequest) => {
    const p = pool();
    if (p.queueSize >= bound.maxQueue) {
      bound.refused();
      post({ id, answer: { kind: 'error', error: errors.poolBusy(retryAfterMs(p.queueSize, p.histogram.runTime.mean, p.maxThreads)) } });
      return;
    }
    let running: Promise<PoolResult>;
    try {
      running = p.run(task) as Promise<PoolResult>;
    } catch (err) {
      running = Promise.reject(err as Error);
    }
    running.then(
      ({ answer, learned }) => post({ id, answer, learned }),
      (err: Error) => post({ id, answer: { kind: 'error', error: errors.internal(`pool worker failed: ${err?.message ?? String(err)}`) } }),
    );
  });
  port.unref();
}
