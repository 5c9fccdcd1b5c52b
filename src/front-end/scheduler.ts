/**
 * One timer structure per thread for every simulated delay: a binary heap of (due time, task)
 * drained by a single Node timer armed for the earliest task. Thousands of paced streams cost
 * heap operations, not thousands of timers.
 */
/** Time and one timer: the real ones, or a test's manual clock. */
export interface Clock {
  now(): number;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(timer: unknown): void;
}

export const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  setTimer: (run, ms) => setTimeout(run, ms),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

interface Task {
  readonly due: number;
  readonly seq: number;
  readonly run: () => void;
}

export class Scheduler {
  readonly #heap: Task[] = [];
  #seq = 0;
  #timer: unknown;
  #armedFor = Infinity;

  constructor(
    readonly onError: (err: unknown) => void,
    /** Told how late each task ran (ms), for the stats. */
    readonly onLateness: (ms: number) => void = () => {},
    readonly clock: Clock = REAL_CLOCK,
  ) {}

  /** The scheduler's time (performance.now() unless a test drives it). */
  now(): number {
    return this.clock.now();
  }

  /**
   * Runs `run` at `due` (a `now()` time), or at once if that has passed. A task that touches an
   * exchange is wrapped in that exchange's guard by its caller, so what throws reaches its client.
   */
  at(due: number, run: () => void): void {
    this.#push({ due, seq: this.#seq++, run });
    if (due < this.#armedFor) this.#arm();
  }

  get size(): number {
    return this.#heap.length;
  }

  #arm(): void {
    if (this.#timer !== undefined) this.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    const head = this.#heap[0];
    if (!head) {
      this.#armedFor = Infinity;
      return;
    }
    this.#armedFor = head.due;
    this.#timer = this.clock.setTimer(() => this.#drain(), Math.max(0, head.due - this.clock.now()));
  }

  #drain(): void {
    // Everything due within the next millisecond runs now: a timer cannot do better than that.
    this.#timer = undefined;
    const horizon = this.clock.now() + 1;
    while (this.#heap.length > 0 && this.#heap[0]!.due <= horizon) {
      const task = this.#pop();
      this.onLateness(this.clock.now() - task.due);
      try {
        task.run();
      } catch (err) {
        this.onError(err);
      }
    }
    this.#arm();
  }

  #before(a: Task, b: Task): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  #push(task: Task): void {
    const h = this.#heap;
    h.push(task);
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.#before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Task {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
