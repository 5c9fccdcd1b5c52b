/**
 * The embedded response store, thread-owned: each front-end thread keeps the records of the
 * responses it made, in its own memory with its share of SIMULATOR_RESPONSES_STORE_BYTES, and the
 * response id names that thread (core/responses/store.ts `responseId`). A create stores its record
 * synchronously, so its answer waits for no other thread; a `GET`, `DELETE`, input items, cancel
 * or `previous_response_id` landing on the owner is answered from its memory, and one landing on
 * another thread is one question to the owner over the channel the cluster set between every two
 * threads (answered in one turn of the owner's loop). A record lives in one place, so a delete or
 * a cancel is seen by every thread as soon as it is answered.
 *
 * Why not main's memory, as before: a create then waited for two wake-ups (main's, then its own
 * thread's) on cores the other threads and the client keep busy — a put's round trip measured
 * p50 ≈ 2 ms and p99 ≈ 10 ms with main 60–80 % idle (docs/architecture.md, "Stored responses").
 * Why not shared memory: records are JSON documents of any size, and a SharedArrayBuffer heap
 * would need its own allocator, compaction and locking. A Redis store (scale-out) implements the
 * same `ResponseStore` interface.
 *
 * What it costs: a thread that dies takes its records with it (the thread started in its place
 * begins empty; until it runs, a question for one of its ids is a 503 naming it), and each
 * thread evicts its own oldest records once its share of the budget is passed.
 */
import type { MessagePort } from 'node:worker_threads';
import { decodeRecord, MemoryResponseStore, ownerOf, responseId, type ResponseStore, type StoredEntry, type StoredResponse } from '../core/responses/store.js';
import { Asks } from '../protocol/ask.js';
import type { StoreOp, StorePeerMessage, StoreResult } from '../protocol/messages.js';

/** An owner answers within one turn of its loop; the timeout only bounds a stuck thread. */
const STORE_ANSWER_TIMEOUT_MS = 10_000;

export class ThreadResponseStore implements ResponseStore {
  readonly #memory: MemoryResponseStore;
  /** The channel to each other thread, by front-end index; undefined while that thread restarts. */
  readonly #peers: (MessagePort | undefined)[];
  readonly #asks: Asks<StoreResult>;

  /** `self`: this thread's front-end index, of `threads`; `budgetBytes`: the whole process's budget. */
  constructor(
    readonly self: number,
    readonly threads: number,
    budgetBytes: number,
    timeoutMs = STORE_ANSWER_TIMEOUT_MS,
    now?: () => number,
  ) {
    this.#memory = new MemoryResponseStore(Math.floor(budgetBytes / threads), now);
    this.#peers = Array.from({ length: threads }, () => undefined);
    this.#asks = new Asks(timeoutMs, (peer) => `front-end thread ${peer}`);
  }

  /** This thread's records (their count and bytes). */
  get memory(): MemoryResponseStore {
    return this.#memory;
  }

  /** The channel to front-end thread `peer`: at start, and again once that thread was restarted. */
  connect(peer: number, port: MessagePort): void {
    this.#disconnect(peer);
    this.#peers[peer] = port;
    port.on('message', (message: StorePeerMessage) => {
      if (message.type === 'answer') return this.#asks.answer(message.id, peer, message.result);
      port.postMessage({ type: 'answer', id: message.id, result: this.#apply(message.op) } satisfies StorePeerMessage);
    });
    // The peer exited: whatever this thread asked it will not be answered.
    port.once('close', () => {
      if (this.#peers[peer] === port) this.#disconnect(peer);
    });
    // A channel to another thread never keeps this one alive.
    port.unref();
  }

  newId(): string {
    return responseId(this.self, this.threads);
  }

  get(id: string): Promise<StoredResponse | undefined> {
    const owner = ownerOf(id, this.threads);
    if (owner === this.self) {
      const entry = this.#memory.get(id);
      return Promise.resolve(entry && decodeRecord(entry));
    }
    return this.#ask(owner, { kind: 'get', key: id }).then((result) => (typeof result === 'object' ? decodeRecord(result) : undefined));
  }

  put(entry: StoredEntry): Promise<void> {
    const owner = ownerOf(entry.id, this.threads);
    if (owner === this.self) {
      this.#memory.put(entry);
      return Promise.resolve();
    }
    return this.#ask(owner, { kind: 'put', entry }).then(() => undefined);
  }

  delete(id: string): Promise<boolean> {
    const owner = ownerOf(id, this.threads);
    if (owner === this.self) return Promise.resolve(this.#memory.delete(id));
    return this.#ask(owner, { kind: 'delete', key: id }).then((result) => result === true);
  }

  /** Shutting down: questions still open fail, the channels close. */
  close(): void {
    this.#asks.close('the thread is shutting down');
    for (let peer = 0; peer < this.threads; peer++) this.#peers[peer]?.close();
  }

  /** Another thread's question about a record this one owns. */
  #apply(op: StoreOp): StoreResult {
    return op.kind === 'get' ? this.#memory.get(op.key) : op.kind === 'put' ? this.#memory.put(op.entry) : this.#memory.delete(op.key);
  }

  #ask(owner: number, op: StoreOp): Promise<StoreResult> {
    const port = this.#peers[owner];
    if (!port) return Promise.reject(new Error(`the response store did not answer: front-end thread ${owner}, which keeps this response, is restarting (a thread's stored responses end with it)`));
    return new Promise((resolve, reject) => {
      const id = this.#asks.ask([owner], (outcome) => (outcome.ok ? resolve(outcome.answers[0]) : reject(new Error(`the response store did not answer: ${outcome.reason}`))));
      port.postMessage({ type: 'ask', id, op } satisfies StorePeerMessage);
    });
  }

  #disconnect(peer: number): void {
    const port = this.#peers[peer];
    if (!port) return;
    this.#peers[peer] = undefined;
    port.close();
    this.#asks.gone(peer);
  }
}
