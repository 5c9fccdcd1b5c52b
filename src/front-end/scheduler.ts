/**
 * One timer structure per thread for every simulated delay: a binary heap of (due time, task)
 * drained by a single Node timer armed for the earliest task. Thousands of paced streams cost
 * heap operations, not thousands of timers.
 */
interface Task {
  readonly due: number;
  readonly seq: number;
  readonly run: () => void;
}

export class Scheduler {
  readonly #heap: Task[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;

  constructor(
    readonly onError: (err: unknown) => void,
    /** Told how late each task ran (ms), for the stats. */
    readonly onLateness: (ms: number) => void = () => {},
  ) {}

  /** Runs `run` at `due` (a performance.now() time), or at once if that has passed. */
  at(due: number, run: () => void): void {
    this.#push({ due, seq: this.#seq++, run });
    if (due < this.#armedFor) this.#arm();
  }

  get size(): number {
    return this.#heap.length;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    const head = this.#heap[0];
    if (!head) {
      this.#armedFor = Infinity;
      return;
    }
    this.#armedFor = head.due;
    this.#timer = setTimeout(() => this.#drain(), Math.max(0, head.due - performance.now()));
  }

  #drain(): void {
    // Everything due within the next millisecond runs now: a timer cannot do better than that.
    const horizon = performance.now() + 1;
    while (this.#heap.length > 0 && this.#heap[0]!.due <= horizon) {
      const task = this.#pop();
      this.onLateness(performance.now() - task.due);
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
