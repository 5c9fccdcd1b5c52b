/**
 * Main's side of the worker pool: front-end threads send heavy tasks over their pool port, the one
 * piscina pool runs them, the answer goes back under the task's id. Control enters here from
 * outside (a port message, the pool's promise), so failures are contained here: a task that fails
 * is answered with a 500 for its request, and a reply that cannot be posted (the asking thread has
 * gone) is logged, never thrown into main.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { errors } from '../core/errors.js';
import type { PoolReply, PoolRequest, PoolResult } from '../protocol/pool.js';
import type { Log } from '../log.js';

export function servePool(port: MessagePort, pool: () => Piscina, log: Log): void {
  const post = (reply: PoolReply): void => {
    try {
      port.postMessage(reply);
    } catch (err) {
      log.warn(`pool answer ${reply.id} not delivered: ${(err as Error).message}`);
    }
  };
  port.on('message', ({ id, task }: PoolRequest) => {
    let running: Promise<PoolResult>;
    try {
      running = pool().run(task) as Promise<PoolResult>;
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
