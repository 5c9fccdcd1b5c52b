/**
 * The front-end side of the worker pool. The piscina pool lives in the main thread (one pool for
 * the whole process, its size a setting); front-end threads send it tasks over a MessagePort.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Answer } from '../core/generation/answer.js';
import { errors } from '../core/errors.js';
import { getEncoding } from '../core/tokens/tokenizer.js';
import type { GenerateTask, PoolReply, PoolRequest } from '../protocol/pool.js';

export class PoolClient {
  readonly #port: MessagePort;
  readonly #pending = new Map<number, (answer: Answer) => void>();
  #nextId = 0;

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (reply: PoolReply) => {
      for (const [encoding, text, tokens] of reply.learned ?? []) getEncoding(encoding).remember(text, tokens);
      const resolve = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      resolve?.(reply.answer);
    });
    // Only keep the thread alive while tasks are in flight.
    port.unref();
  }

  run(task: GenerateTask): Promise<Answer> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      if (this.#pending.size === 0) this.#port.ref();
      this.#pending.set(id, (answer) => {
        if (this.#pending.size === 0) this.#port.unref();
        resolve(answer);
      });
      this.#port.postMessage({ id, task } satisfies PoolRequest);
    });
  }

  close(): void {
    for (const resolve of this.#pending.values()) resolve({ kind: 'error', error: errors.internal('the simulator is shutting down') });
    this.#pending.clear();
    this.#port.close();
  }
}
