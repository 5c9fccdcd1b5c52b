/**
 * The thread's one scheduler (front-end/scheduler.ts) on a manual clock: tasks run in due order,
 * ties in the order they were scheduled, a long-lived task (a paced stream) is scheduled again and
 * again, and what a task throws goes to onError without stopping the others.
 */
import { describe, expect, it } from 'vitest';
import { REAL_CLOCK, Scheduler, type Clock, type Task } from '../../src/front-end/scheduler.js';
import { ManualClock } from '../helpers/fake-uws.js';

describe('Scheduler', () => {
  it('runs tasks in due order, ties first-scheduled first, over many pushes and pops', () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const s = new Scheduler((e) => errors.push(e), () => {}, clock);
    const ran: number[] = [];
    // 500 tasks at pseudo-random times, several at each: the heap must keep (due, order).
    const dues = Array.from({ length: 500 }, (_, i) => clock.now() + ((i * 7919) % 97) * 3);
    dues.forEach((due, i) => s.at(due, () => ran.push(i)));
    expect(s.size).toBe(500);
    clock.advance(1_000);
    const expected = dues.map((due, i) => ({ due, i })).sort((a, b) => a.due - b.due || a.i - b.i).map((x) => x.i);
    expect(ran).toEqual(expected);
    expect(s.size).toBe(0);
    expect(errors).toEqual([]);
  });

  it('schedules a reused task again from its own run, and reports lateness and errors', () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    const late: number[] = [];
    const s = new Scheduler((e) => errors.push(e), (micros) => late.push(micros), clock);
    const times: number[] = [];
    const start = clock.now();
    const task: Task = {
      due: 0,
      seq: 0,
      run() {
        times.push(clock.now() - start);
        if (times.length < 5) s.schedule(task, start + 20 * (times.length + 1));
      },
    };
    s.schedule(task, start + 20);
    s.at(start + 30, () => {
      throw new Error('boom');
    });
    clock.advance(500);
    expect(times).toEqual([20, 40, 60, 80, 100]);
    expect(errors).toHaveLength(1);
    expect(late.every((micros) => Number.isInteger(micros) && micros >= 0 && micros <= 1000)).toBe(true);
    expect(s.size).toBe(0);
  });

  it('arms its one timer once a drain, however many tasks schedule themselves again while it drains', () => {
    const clock = new ManualClock();
    let arms = 0;
    const counting: Clock = {
      now: () => clock.now(),
      timer: (run) => {
        const timer = clock.timer(run);
        return { arm: (ms) => (arms++, timer.arm(ms)), cancel: () => timer.cancel() };
      },
    };
    const s = new Scheduler(() => {}, () => {}, counting);
    const start = clock.now();
    let runs = 0;
    // 200 paced streams in step: each drain runs all of them, and each schedules its next event.
    for (let i = 0; i < 200; i++) {
      let left = 5;
      const task: Task = {
        due: 0,
        seq: 0,
        run() {
          runs++;
          if (--left > 0) s.schedule(task, task.due + 20);
        },
      };
      s.schedule(task, start + 20);
    }
    const armsBefore = arms;
    clock.advance(200);
    expect(runs).toBe(1_000);
    // Five drains, one arm each (the last one finds nothing left and cancels instead).
    expect(arms - armsBefore).toBeLessThanOrEqual(5);
  });

  it('on the real clock, runs what is due within the millisecond and what is due later, again after either has fired', async () => {
    const ran: string[] = [];
    const s = new Scheduler((e) => ran.push(`error ${String(e)}`), () => {}, REAL_CLOCK);
    const settle = (): Promise<void> => new Promise((resolve) => s.at(s.now() + 40, resolve));
    for (let round = 0; round < 3; round++) {
      // The next millisecond (the reused tick), and 15 ms on (a timer of its own).
      s.at(s.now() + 0.5, () => ran.push(`soon ${round}`));
      s.at(s.now() + 15, () => ran.push(`later ${round}`));
      await settle();
    }
    expect(ran).toEqual(['soon 0', 'later 0', 'soon 1', 'later 1', 'soon 2', 'later 2']);
    expect(s.size).toBe(0);
  });

  it('a stats hook that throws loses neither the task it timed nor the timer', () => {
    const clock = new ManualClock();
    const errors: unknown[] = [];
    let throwOnce = true;
    const s = new Scheduler((e) => errors.push(e), () => {
      if (throwOnce) {
        throwOnce = false;
        throw new Error('stats broke');
      }
    }, clock);
    const ran: string[] = [];
    s.at(clock.now() + 5, () => ran.push('A'));
    s.at(clock.now() + 5, () => ran.push('B'));
    s.at(clock.now() + 50, () => ran.push('C'));
    clock.advance(100);
    expect(ran).toEqual(['A', 'B', 'C']);
    expect(errors).toHaveLength(1);
    expect(s.size).toBe(0);
  });
});
