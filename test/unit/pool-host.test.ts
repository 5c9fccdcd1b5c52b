/**
 * process/pool-host.ts over a real MessageChannel: answers come back under their task's id, a
 * pool that rejects or throws answers that request with a 500 instead of escaping into main, and a
 * full queue refuses at once with the documented 429.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import { retryAfterMs, servePool, type PoolBound } from '../../src/process/pool-host.js';
import type { GenerateTask, PoolReply, PoolResult } from '../../src/protocol/pool.js';
import type { Log } from '../../src/log.js';

const task = { operation: 'chat', body: {}, deployment: {} as never, options: { answerLength: 'natural' } } satisfies GenerateTask;
const logged: string[] = [];
const log: Log = { debug: () => {}, info: () => {}, warn: (m) => logged.push(m), error: (m) => logged.push(m) };
const open: MessagePort[] = [];
afterEach(() => {
  for (const port of open.splice(0)) port.close();
  logged.length = 0;
});

/** The pool host on one end of a channel; `ask` sends a request from the other end and waits for its reply. */
function host(run: (t: GenerateTask) => Promise<PoolResult>, queue = { queueSize: 0, maxThreads: 2, mean: 5 }, bound: PoolBound = { maxQueue: 64, refused: () => {} }): (id: number) => Promise<PoolReply> {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  const pool = { run, get queueSize() { return queue.queueSize; }, maxThreads: queue.maxThreads, histogram: { runTime: { mean: queue.mean } } };
  servePool(port1, () => pool as unknown as Piscina, bound, log);
  return (id) =>
    new Promise((resolve) => {
      const onReply = (reply: PoolReply): void => {
        if (reply.id !== id) return;
        port2.off('message', onReply);
        resolve(reply);
      };
      port2.on('message', onReply);
      port2.postMessage({ id, task });
    });
}

describe('servePool', () => {
  it('answers each task under its id with what the pool produced', async () => {
    const ask = host(async () => ({ answer: { kind: 'json', status: 200, body: '{"ok":1}' } as never, learned: [['cl100k_base', 'text', 1]] }));
    const [a, b] = await Promise.all([ask(1), ask(2)]);
    expect(a).toMatchObject({ id: 1, answer: { kind: 'json', body: '{"ok":1}' }, learned: [['cl100k_base', 'text', 1]] });
    expect(b.id).toBe(2);
  });

  it('turns a rejected task into a 500 for its request', async () => {
    const reply = await host(() => Promise.reject(new Error('worker died')))(7);
    expect(reply.id).toBe(7);
    expect(reply.answer).toMatchObject({ kind: 'error', error: { status: 500, message: expect.stringContaining('pool worker failed: worker died') } });
  });

  it('turns a pool that throws at once (e.g. destroyed) into a 500, not an exception in main', async () => {
    const reply = await host(() => {
      throw new Error('pool is destroyed');
    })(3);
    expect(reply.answer).toMatchObject({ kind: 'error', error: { status: 500, message: expect.stringContaining('pool is destroyed') } });
  });

  it('refuses at once with the peak-load 429 and retry-after-ms when the queue is full, without running the task', async () => {
    let ran = 0;
    let refused = 0;
    const queue = { queueSize: 64, maxThreads: 2, mean: 10 };
    const ask = host(async () => (ran++, { answer: { kind: 'json', body: '{}' } as never, learned: [] }), queue, { maxQueue: 64, refused: () => refused++ });
    const reply = await ask(5);
    expect(reply.answer).toMatchObject({
      kind: 'error',
      error: { status: 429, code: '429', message: expect.stringContaining('high demand'), headers: { 'retry-after-ms': '320', 'retry-after': '1' } },
    });
    expect([ran, refused]).toEqual([0, 1]);
    // Below the bound the task runs.
    queue.queueSize = 63;
    expect((await ask(6)).answer).toMatchObject({ kind: 'json' });
    expect([ran, refused]).toEqual([1, 1]);
  });

  it('retry-after-ms: the time the queue takes to drain, within 100 ms to 59 s', () => {
    expect(retryAfterMs(64, 10, 2)).toBe(320);
    expect(retryAfterMs(4, 1, 2)).toBe(100);
    expect(retryAfterMs(1_000, 1_000, 1)).toBe(59_000);
    expect(retryAfterMs(10, NaN, 2)).toBe(100);
  });
});
