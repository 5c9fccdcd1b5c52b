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

/**
 * What the scheduler runs. `due` and `seq` are the scheduler's to set: a long-lived owner (a paced
 * stream) is its own task and is scheduled again and again without allocating anything.
 */
export interface Task {
  due: number;
  /** Order among tasks due at the same time: first scheduled, first run. */
  seq: number;
  run(): void;
}

export class Scheduler {
  readonly #heap: Task[] = [];
  #seq = 0;
  #timer: unknown;
  #armedFor = Infinity;
  readonly #onTimer = (): void => this.#drain();

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
    this.schedule({ due, seq: 0, run }, due);
  }

  /** Runs `task.run()` at `due`; the task must not be scheduled already. Guarding is the task's. */
  schedule(task: Task, due: number): void {
    task.due = due;
    task.seq = this.#seq++;
    this.#push(task);
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
    this.#timer = this.clock.setTimer(this.#onTimer, Math.max(0, head.due - this.clock.now()));
  }

  #drain(): void {
    // Everything due within the next millisecond runs now: a timer cannot do better than that.
    this.#timer = undefined;
    const horizon = this.clock.now() + 1;
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.due <= horizon) {
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

  // A binary heap ordered by (due, seq), sifted with a hole rather than swaps.
  #push(task: Task): void {
    const h = this.#heap;
    let i = h.length;
    h.push(task);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (p.due < task.due || (p.due === task.due && p.seq < task.seq)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = task;
  }

  #pop(): Task {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    const n = h.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = h[l]!;
      if (r < n) {
        const right = h[r]!;
        if (right.due < child.due || (right.due === child.due && right.seq < child.seq)) {
          c = r;
          child = right;
        }
      }
      if (last.due < child.due || (last.due === child.due && last.seq < child.seq)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
