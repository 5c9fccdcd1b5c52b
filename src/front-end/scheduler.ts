/**
 * One timer structure per thread for every simulated delay: a binary heap of (due time, task)
 * drained by one timer (`Timer`) armed for the earliest task. Thousands of paced streams cost
 * heap operations, not thousands of timers.
 */
/** Time and one timer: the real ones, or a test's manual clock. */
export interface Clock {
  now(): number;
  /** The one timer of a scheduler, calling `run`. */
  timer(run: () => void): Timer;
}

/**
 * `arm(ms)` makes the timer call `run` within `ms` (or at the next millisecond), replacing a later
 * wait; `cancel()` drops a pending wait. `run` may also come early or when nothing is due (the real
 * timer's reused tick is never stopped): the scheduler's drain then runs nothing and arms again.
 */
export interface Timer {
  arm(ms: number): void;
  cancel(): void;
}

/**
 * Node's timers, with the next-millisecond case reused: under load the scheduler re-arms for the
 * next millisecond after nearly every drain (a thousand times a second a thread), and a new
 * Timeout each time was ~130 bytes of young garbage a drain with its async-hook bookkeeping
 * (sampled allocations, 600 paced streams). `refresh()` restarts the same Timeout, even one that
 * has fired (a cleared one cannot be restarted, so the tick is never cleared: one that turns out
 * not to be needed fires into a drain with nothing due). Longer waits (a delayed answer, an idle
 * thread) get a Timeout of their own.
 */
class NodeTimer implements Timer {
  #tick: NodeJS.Timeout | undefined;
  #tickPending = false;
  #long: NodeJS.Timeout | undefined;
  readonly #onTick = (): void => {
    this.#tickPending = false;
    this.run();
  };

  constructor(readonly run: () => void) {}

  arm(ms: number): void {
    this.cancel();
    if (ms > 1) {
      this.#long = setTimeout(this.run, ms);
      return;
    }
    // A pending tick fires within the millisecond already; restarting it would only delay it.
    if (this.#tickPending) return;
    this.#tickPending = true;
    if (this.#tick === undefined) this.#tick = setTimeout(this.#onTick, 1);
    else this.#tick.refresh();
  }

  cancel(): void {
    if (this.#long === undefined) return;
    clearTimeout(this.#long);
    this.#long = undefined;
  }
}

export const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  timer: (run) => new NodeTimer(run),
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
  readonly #timer: Timer;
  /** The due time the timer is armed for (Infinity: not armed; -Infinity: draining). */
  #armedFor = Infinity;

  constructor(
    readonly onError: (err: unknown) => void,
    /**
     * Told how late each task ran, for the stats: in whole microseconds (0 when early), because a
     * small integer crosses a call without a heap number — this runs once per token event.
     */
    readonly onLateness: (micros: number) => void = () => {},
    readonly clock: Clock = REAL_CLOCK,
  ) {
    this.#timer = clock.timer(() => this.#drain());
  }

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
    const head = this.#heap[0];
    if (!head) {
      this.#armedFor = Infinity;
      this.#timer.cancel();
      return;
    }
    this.#armedFor = head.due;
    this.#timer.arm(Math.max(0, head.due - this.clock.now()));
  }

  #drain(): void {
    // Everything due within the next millisecond runs now: a timer cannot do better than that.
    // While draining, what the tasks schedule does not arm the timer (a stream schedules its next
    // event from its run): the drain arms it once, at its end.
    this.#armedFor = -Infinity;
    const horizon = this.clock.now() + 1;
    const heap = this.#heap;
    try {
      while (heap.length > 0 && heap[0]!.due <= horizon) {
        const task = this.#pop();
        const late = this.clock.now() - task.due;
        try {
          task.run();
        } catch (err) {
          this.onError(err);
        }
        // Told after the run, guarded apart: a stats hook that throws loses neither the task nor the drain.
        try {
          this.onLateness(late > 0 ? Math.round(late * 1000) : 0);
        } catch (err) {
          this.onError(err);
        }
      }
    } finally {
      this.#arm();
    }
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
