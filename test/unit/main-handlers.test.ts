/**
 * process/handlers.ts: main's message table, driven as the cluster drives it (a message, its
 * sender), with real Asks and in-memory threads — what a PATCH answers when every thread applies
 * it, when the patch is bad, and when a thread exits first.
 */
import { describe, expect, it } from 'vitest';
import { defaultDeployments, deploymentSettings } from '../../src/core/config/deployments.js';
import { parseSettings } from '../../src/core/config/settings.js';
import { limitSpecsFor } from '../../src/core/limits/windows.js';
import { mainHandlers, type MainState } from '../../src/process/handlers.js';
import { dispatch, type MainMessage, type ThreadMessage } from '../../src/protocol/messages.js';
import type { Log } from '../../src/log.js';

function setup(threadIds: number[]) {
  const settings = parseSettings({}, 2);
  const deployments = defaultDeployments();
  const state: MainState = {
    runtime: { mode: 'generate', latency: settings.latency, allowUndefinedDeployments: false, deployments: deploymentSettings(deployments) },
    limits: limitSpecsFor(deployments.values()),
    recorder: undefined,
    replayEntries: [],
  };
  const broadcasts: MainMessage[] = [];
  const logged: string[] = [];
  const log: Log = { debug: () => {}, info: () => {}, warn: (m) => logged.push(m), error: (m) => logged.push(m) };
  const live = new Set(threadIds);
  const main = mainHandlers(state, { ids: () => live, broadcast: (m) => broadcasts.push(m), describe: (t) => `front-end thread ${t}` }, log, 60_000);
  const replies: MainMessage[] = [];
  const send = (message: ThreadMessage, thread: number): void => dispatch(main.handlers, message, { thread, reply: (m) => replies.push(m) });
  return { state, broadcasts, replies, send, logged, main, live };
}

describe('main handlers', () => {
  it('answers a PATCH once every thread has applied it, with the windows that survive', () => {
    const { state, broadcasts, replies, send } = setup([11, 12]);
    const keptWindow = state.limits['gpt-35-turbo-1k-token'];
    send({ type: 'config-patch', id: 7, patch: { latency: { open_ai_chat_completions: { mean: 5 } } } }, 11);
    const config = broadcasts.find((m) => m.type === 'config');
    expect(config).toBeDefined();
    expect(state.runtime.latency.chatCompletions.mean).toBe(5);
    expect(state.limits['gpt-35-turbo-1k-token']).toBe(keptWindow); // latency never resets a budget
    if (config?.type !== 'config') throw new Error('no config broadcast');
    send({ type: 'config-applied', version: config.version }, 11);
    expect(replies).toEqual([]);
    send({ type: 'config-applied', version: config.version }, 12);
    expect(replies).toEqual([{ type: 'config-patched', id: 7 }]);
  });

  it('refuses a bad PATCH without changing anything or asking the threads', () => {
    const { state, broadcasts, replies, send } = setup([11]);
    const before = state.runtime;
    send({ type: 'config-patch', id: 1, patch: { latency: { open_ai_chat_completions: { mean: -1 } } } }, 11);
    expect(broadcasts).toEqual([]);
    expect(state.runtime).toBe(before);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ type: 'config-patched', id: 1, error: expect.any(String) });
    expect(replies[0]).not.toHaveProperty('unavailable');
  });

  it('answers "unavailable" at once when a thread exits before applying; the change is kept', () => {
    const { state, replies, send, main, live } = setup([11, 12]);
    send({ type: 'config-patch', id: 3, patch: { latency: { open_ai_chat_completions: { mean: 9 } } } }, 11);
    live.delete(12);
    main.threadGone(12);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ type: 'config-patched', id: 3 });
    expect((replies[0] as { unavailable?: string }).unavailable).toMatch(/the change is kept.*front-end thread 12 exited before answering/);
    expect(state.runtime.latency.chatCompletions.mean).toBe(9);
  });

  it('gathers every thread\'s stats; a thread that exits makes the answer unavailable, not late', () => {
    const { broadcasts, replies, send, main } = setup([11, 12]);
    send({ type: 'stats-request', id: 5, reset: false }, 11);
    const ask = broadcasts.find((m) => m.type === 'stats');
    if (ask?.type !== 'stats') throw new Error('no stats broadcast');
    main.threadGone(11);
    expect(replies).toEqual([{ type: 'stats-result', id: 5, json: '', unavailable: expect.stringContaining('front-end thread 11 exited') }]);
  });

  it('answers a save outside record mode with 0 files once every thread has flushed; logs a stray recording', () => {
    const { broadcasts, replies, send, logged } = setup([11]);
    send({ type: 'save', id: 2 }, 11);
    const flush = broadcasts.find((m) => m.type === 'flush');
    if (flush?.type !== 'flush') throw new Error('no flush broadcast');
    send({ type: 'flushed', id: flush.id }, 11);
    expect(replies).toEqual([{ type: 'saved', id: 2, files: 0 }]);
    send({ type: 'recorded', file: 'x.yaml', interaction: {} as never }, 11);
    expect(logged.join('\n')).toMatch(/outside record mode; dropped/);
  });
});
