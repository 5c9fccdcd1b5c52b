/**
 * One ask/answer helper for both ends of the thread protocol. A question goes to a set of
 * answerers (main asks every front-end thread; a thread asks main) under one id; each answerer
 * answers once, and the question settles when all have, when one of them goes away, or when the
 * timeout passes — never later. A thread that exits or restarts while main waits therefore costs
 * the waiting request a clear error, not a hang: a restarted thread never answers its
 * predecessor's ids.
 */

/** How a question ended: every answer (in arrival order), or why not. */
export type Outcome<A> = { readonly ok: true; readonly answers: readonly A[] } | { readonly ok: false; readonly reason: string };

interface Question<A> {
  /** Who has not answered yet. */
  readonly waiting: Set<number>;
  readonly answers: A[];
  readonly done: (outcome: Outcome<A>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** The answerer a front-end thread asks: the main thread. */
export const MAIN = -1;

export class Asks<A> {
  readonly #open = new Map<number, Question<A>>();
  readonly #timeoutMs: number;
  readonly #describe: (answerer: number) => string;
  #next = 0;

  /**
   * `timeoutMs`: how long a question may wait for its last answer. `describe` names an answerer
   * in a failure's reason ("front-end thread 3").
   */
  constructor(timeoutMs: number, describe: (answerer: number) => string = (a) => (a === MAIN ? 'the main thread' : `thread ${a}`)) {
    this.#timeoutMs = timeoutMs;
    this.#describe = describe;
  }

  /** Opens a question to `answerers`; returns the id they must answer with. */
  ask(answerers: Iterable<number>, done: (outcome: Outcome<A>) => void): number {
    const id = this.#next++;
    const waiting = new Set(answerers);
    const timer = setTimeout(() => {
      const late = [...(this.#open.get(id)?.waiting ?? [])].map(this.#describe).join(', ');
      this.#settle(id, { ok: false, reason: `no answer from ${late} within ${this.#timeoutMs} ms` });
    }, this.#timeoutMs);
    // A pending question never keeps a thread alive on its own.
    timer.unref();
    this.#open.set(id, { waiting, answers: [], done, timer });
    if (waiting.size === 0) this.#settle(id, { ok: true, answers: [] });
    return id;
  }

  /** `answerer`'s answer to question `id`. Unknown ids, strangers and second answers are ignored. */
  answer(id: number, answerer: number, value: A): void {
    const question = this.#open.get(id);
    if (!question || !question.waiting.delete(answerer)) return;
    question.answers.push(value);
    if (question.waiting.size === 0) this.#settle(id, { ok: true, answers: question.answers });
  }

  /** Ends question `id` without its answers (the other side reported that it could not answer). */
  fail(id: number, reason: string): void {
    this.#settle(id, { ok: false, reason });
  }

  /** `answerer` is gone (its thread exited): every question still waiting for it fails now. */
  gone(answerer: number): void {
    for (const [id, question] of this.#open) {
      if (question.waiting.has(answerer)) this.#settle(id, { ok: false, reason: `${this.#describe(answerer)} exited before answering` });
    }
  }

  /** Fails every open question (shutting down). */
  close(reason: string): void {
    for (const id of [...this.#open.keys()]) this.#settle(id, { ok: false, reason });
  }

  /** Questions still waiting. */
  get pending(): number {
    return this.#open.size;
  }

  #settle(id: number, outcome: Outcome<A>): void {
    const question = this.#open.get(id);
    if (!question) return;
    this.#open.delete(id);
    clearTimeout(question.timer);
    question.done(outcome);
  }
}
