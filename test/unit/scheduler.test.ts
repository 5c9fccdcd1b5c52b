/**
 * The thread's one scheduler (front-end/scheduler.ts) on a manual clock: tasks run in due order,
 * ties in the order they were scheduled, a long-lived task (a paced stream) is scheduled again and
 * again, and what a task throws goes to onError without stopping the others.
 */
import { describe, expect, it } from 'vitest';
import { Scheduler, type Task } from '../../src/front-end/scheduler.js';
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
});
