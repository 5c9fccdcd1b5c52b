/**
 * The front-end thread's side of the embedded response store: each operation is a question to
 * main, which owns the records (process/handlers.ts `responses`), so a response stored through one
 * thread is there for a `GET` landing on any other. A put resolves only once main has it: the
 * client's answer (and so its next request) comes after that.
 *
 * Why main and not shared memory: a stored response is a variable-sized JSON document (its output,
 * its input items, its conversation), looked up a few times; a SharedArrayBuffer heap would need
 * its own allocator, compaction and locking for that, where a message round trip costs ~0.1 ms
 * and no thread's event loop waits for it (`make bench`, scenario responses, measures it). A Redis
 * store (scale-out) implements the same `ResponseStore` interface.
 */
import { decodeRecord, encodeRecord, type ResponseStore, type StoredResponse } from '../core/responses/store.js';
import { Asks, MAIN } from '../protocol/ask.js';
import type { StoreOp, StoreResult, ThreadMessage } from '../protocol/messages.js';

export class AskingResponseStore implements ResponseStore {
  constructor(
    readonly asks: Asks<StoreResult>,
    readonly post: (message: ThreadMessage) => void,
  ) {}

  /** Main's answer to question `id` (the thread's message table calls this). */
  answered(id: number, result: StoreResult): void {
    this.asks.answer(id, MAIN, result);
  }

  #ask(op: StoreOp): Promise<StoreResult> {
    return new Promise((resolve, reject) => {
      const id = this.asks.ask([MAIN], (outcome) => (outcome.ok ? resolve(outcome.answers[0]) : reject(new Error(`the response store did not answer: ${outcome.reason}`))));
      this.post({ type: 'responses', id, op });
    });
  }

  async get(key: string): Promise<StoredResponse | undefined> {
    const result = await this.#ask({ kind: 'get', key });
    return typeof result === 'object' ? decodeRecord(result) : undefined;
  }

  async put(record: StoredResponse): Promise<void> {
    // One string crosses the thread boundary: cheaper to copy than the record's structure to clone.
    await this.#ask({ kind: 'put', entry: encodeRecord(record) });
  }

  async delete(key: string): Promise<boolean> {
    return (await this.#ask({ kind: 'delete', key })) === true;
  }
}
