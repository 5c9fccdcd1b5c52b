/** protocol/ask.ts: a question settles once, when every answerer has answered, one has gone, or time is up. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Asks, MAIN, type Outcome } from '../../src/protocol/ask.js';

afterEach(() => {
  vi.useRealTimers();
});

function recorder<A>(): { outcomes: Outcome<A>[]; done: (o: Outcome<A>) => void } {
  const outcomes: Outcome<A>[] = [];
  return { outcomes, done: (o) => outcomes.push(o) };
}

describe('Asks', () => {
  it('settles with every answer once each answerer has answered, in arrival order', () => {
    const asks = new Asks<string>(1000);
    const { outcomes, done } = recorder<string>();
    const id = asks.ask([1, 2, 3], done);
    asks.answer(id, 2, 'b');
    asks.answer(id, 2, 'b again'); // a second answer from the same thread is not a third thread's
    asks.answer(id, 9, 'stranger');
    asks.answer(id, 1, 'a');
    expect(outcomes).toEqual([]);
    expect(asks.pending).toBe(1);
    asks.answer(id, 3, 'c');
    expect(outcomes).toEqual([{ ok: true, answers: ['b', 'a', 'c'] }]);
    expect(asks.pending).toBe(0);
    asks.answer(id, 3, 'late');
    expect(outcomes).toHaveLength(1);
  });

  it('fails the questions waiting for an answerer that goes away, naming it, and only those', () => {
    const asks = new Asks<number>(1000, (t) => `front-end thread ${t}`);
    const first = recorder<number>();
    const second = recorder<number>();
    const a = asks.ask([1, 2], first.done);
    asks.ask([3], second.done);
    asks.answer(a, 2, 20);
    asks.gone(1);
    expect(first.outcomes).toEqual([{ ok: false, reason: 'front-end thread 1 exited before answering' }]);
    expect(second.outcomes).toEqual([]);
    // Its replacement answering the old id changes nothing.
    asks.answer(a, 1, 10);
    expect(first.outcomes).toHaveLength(1);
    expect(asks.pending).toBe(1);
  });

  it('fails a question that is not answered in time, naming who is late', () => {
    vi.useFakeTimers();
    const asks = new Asks<void>(500, (t) => `thread ${t}`);
    const { outcomes, done } = recorder<void>();
    const id = asks.ask([4, 5], done);
    asks.answer(id, 4, undefined);
    vi.advanceTimersByTime(499);
    expect(outcomes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(outcomes).toEqual([{ ok: false, reason: 'no answer from thread 5 within 500 ms' }]);
    asks.answer(id, 5, undefined);
    expect(outcomes).toHaveLength(1);
  });

  it('settles a question to nobody at once; fail() and close() end questions with a reason', () => {
    const asks = new Asks<string>(1000);
    const none = recorder<string>();
    asks.ask([], none.done);
    expect(none.outcomes).toEqual([{ ok: true, answers: [] }]);

    const failed = recorder<string>();
    const id = asks.ask([MAIN], failed.done);
    asks.fail(id, 'main could not ask everyone');
    expect(failed.outcomes).toEqual([{ ok: false, reason: 'main could not ask everyone' }]);

    const closed = recorder<string>();
    asks.ask([MAIN], closed.done);
    asks.ask([MAIN], closed.done);
    asks.close('shutting down');
    expect(closed.outcomes).toEqual([
      { ok: false, reason: 'shutting down' },
      { ok: false, reason: 'shutting down' },
    ]);
    expect(asks.pending).toBe(0);
  });
});
