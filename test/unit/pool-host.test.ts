/**
 * process/pool-host.ts over a real MessageChannel: answers come back under their task's id, and a
 * pool that rejects or throws answers that request with a 500 instead of escaping into main.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { afterEach, describe, expect, it } from 'vitest';
import { servePool } from '../../src/process/pool-host.js';
import type { GenerateTask, PoolReply, PoolResult } from '../../src/protocol/pool.js';
import type { Log } from '../../src/log.js';

const task = { operation: 'chat', body: '{}', deployment: {} as never, options: { answerLength: 'natural' } } satisfies GenerateTask;
const logged: string[] = [];
const log: Log = { debug: () => {}, info: () => {}, warn: (m) => logged.push(m), error: (m) => logged.push(m) };
const open: MessagePort[] = [];
afterEach(() => {
  for (const port of open.splice(0)) port.close();
  logged.length = 0;
});

/** The pool host on one end of a channel; `ask` sends a request from the other end and waits for its reply. */
function host(run: (t: GenerateTask) => Promise<PoolResult>): (id: number) => Promise<PoolReply> {
  const { port1, port2 } = new MessageChannel();
  open.push(port1, port2);
  servePool(port1, () => ({ run }) as unknown as Piscina, log);
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
});
