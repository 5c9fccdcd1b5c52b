/** Requests a front-end thread sent to the main thread, waiting for their answers, by id. */
export class Replies<T> {
  readonly #waiting = new Map<number, (value: T) => void>();
  #next: number;

  /** `firstId`: where this thread's ids start, when main must tell threads' ids apart. */
  constructor(firstId = 0) {
    this.#next = firstId;
  }

  /** Registers what to do with the answer; returns the id to send with the request. */
  expect(answer: (value: T) => void): number {
    const id = this.#next++;
    this.#waiting.set(id, answer);
    return id;
  }

  settle(id: number, value: T): void {
    const answer = this.#waiting.get(id);
    this.#waiting.delete(id);
    answer?.(value);
  }
}
