/**
 * The embedded response store (byte budget with eviction, expiry), a background response's
 * status along its timeline, input-item paging, and the generator's stream against the strict
 * clients' rules (an independent checker) for every kind of turn.
 */
import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { MemoryResponseStore, decodeRecord, encodeRecord, inputItemsPage, ownerOf, pageQuery, responseAt, responseId, type StoredResponse } from '../../src/core/responses/store.js';
import { ThreadResponseStore } from '../../src/front-end/responses-store.js';
import { generateResponse } from '../../src/core/responses/generate.js';
import { validateResponses } from '../../src/core/responses/request.js';
import { makeDeployment } from '../../src/core/config/deployments.js';
import { findModel } from '../../src/core/models.js';
import { DEFAULT_GENERATE_OPTIONS } from '../../src/core/generation/options.js';
import { checkEventSequence, parseEventStream } from '../helpers/response-events.js';

function entry(id: string, padding = 0, at = 0, ttlMs = 1000) {
  return encodeRecord(record(id, padding, at, ttlMs));
}

function record(id: string, padding = 0, at = 0, ttlMs = 1000): StoredResponse {
  return ({ id, deployment: 'd', response: { id, status: 'completed', output: [{ text: 'x'.repeat(padding) }] }, startsAt: at, completesAt: at, inputItems: [], conversation: [], expiresAt: at + ttlMs });
}

describe('MemoryResponseStore', () => {
  it('evicts the oldest records once the byte budget is passed, and never keeps one larger than the budget', () => {
    const one = entry('a', 100);
    const store = new MemoryResponseStore(one.json.length * 3, () => 0);
    for (const id of ['a', 'b', 'c']) expect(store.put(entry(id, 100))).toBe(true);
    expect(store.size).toBe(3);
    store.put(entry('d', 100));
    expect(store.get('a')).toBeUndefined();
    expect(['b', 'c', 'd'].map((id) => store.get(id)?.id)).toEqual(['b', 'c', 'd']);
    expect(store.bytes).toBeLessThanOrEqual(store.budgetBytes);
    expect(store.put(entry('huge', one.json.length * 4))).toBe(false);
    expect(store.get('huge')).toBeUndefined();
    expect(store.size).toBe(3);
  });

  it('replacing a record moves it to the end and counts its bytes once', () => {
    const store = new MemoryResponseStore(10_000, () => 0);
    store.put(entry('a', 10));
    store.put(entry('b', 10));
    const before = store.bytes;
    store.put(entry('a', 10));
    expect(store.bytes).toBe(before);
  });

  it('forgets records after their expiry, on read and on write', () => {
    let now = 0;
    const store = new MemoryResponseStore(1 << 20, () => now);
    store.put(entry('a', 0, 0, 100));
    now = 50;
    expect(store.get('a')?.id).toBe('a');
    now = 100;
    expect(store.get('a')).toBeUndefined();
    store.put(entry('b', 0, 0, 100));
    now = 200;
    store.put(entry('c', 0, 200, 100));
    expect(store.size).toBe(1);
    expect(store.delete('c')).toBe(true);
    expect(store.delete('c')).toBe(false);
    expect(store.bytes).toBe(0);
  });
});

describe('response ids', () => {
  it('have the service shape and name their owner, for every thread count', () => {
    for (const threads of [1, 2, 3, 7, 256]) {
      for (let owner = 0; owner < threads; owner++) {
        const id = responseId(owner, threads);
        expect(id).toMatch(/^resp_[0-9a-f]{48}$/);
        expect(ownerOf(id, threads)).toBe(owner);
      }
    }
  });
  it('do not show their owner as a fixed tail', () => {
    expect(new Set(Array.from({ length: 200 }, () => responseId(1, 2).slice(-2))).size).toBeGreaterThan(20);
  });
  it('made elsewhere (a recording, a client) still have one owner in range', () => {
    for (const id of ['resp_nothing', 'resp_1', '', 'x', 'resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b', 'ü-ß']) {
      const owner = ownerOf(id, 3);
      expect(owner).toBeGreaterThanOrEqual(0);
      expect(owner).toBeLessThan(3);
      expect(ownerOf(id, 3)).toBe(owner);
    }
  });
});

describe('encodeRecord', () => {
  it('with the response object already written gives the same record', () => {
    const r = { ...record('resp_x', 20), inputItems: [{ id: 'msg_1', type: 'message' }], conversation: [{ role: 'user' as const, content: 'é \u2028 "q"' }] };
    const entry = encodeRecord(r, JSON.stringify(r.response));
    expect(decodeRecord(entry)).toEqual(r);
    expect(entry.json.length).toBe(encodeRecord(r).json.length);
  });
});

describe('ThreadResponseStore (thread-owned records, a channel between every two threads)', () => {
  /** Three stores as three threads would hold them, over real MessageChannels. */
  function threads(budget = 1 << 20): ThreadResponseStore[] {
    const stores = [0, 1, 2].map((i) => new ThreadResponseStore(i, 3, budget));
    for (let i = 0; i < 3; i++) {
      for (let j = i + 1; j < 3; j++) {
        const { port1, port2 } = new MessageChannel();
        stores[i]!.connect(j, port1);
        stores[j]!.connect(i, port2);
      }
    }
    return stores;
  }
  const made = (store: ThreadResponseStore, padding = 10): StoredResponse => record(store.newId(), padding, Date.now(), 60_000);

  it('a record put on its owner is found, replaced and deleted through every other', async () => {
    const stores = threads();
    try {
      const r = made(stores[1]!);
      await stores[1]!.put(encodeRecord(r));
      expect(stores[1]!.memory.size).toBe(1);
      for (const s of stores) expect((await s.get(r.id))?.id).toBe(r.id);
      await stores[2]!.put(encodeRecord({ ...r, cancelledAt: 5 }));
      expect(stores[2]!.memory.size).toBe(0); // kept by the owner, not by who wrote it
      for (const s of stores) expect((await s.get(r.id))?.cancelledAt).toBe(5);
      expect(await stores[0]!.delete(r.id)).toBe(true);
      for (const s of stores) expect(await s.get(r.id)).toBeUndefined();
      for (const s of stores) expect(await s.delete(r.id)).toBe(false);
    } finally {
      for (const s of stores) s.close();
    }
  });

  it('each thread keeps its share of the budget', async () => {
    const one = encodeRecord(record('resp_' + '0'.repeat(48), 100, Date.now(), 60_000)).json.length;
    const stores = threads(one * 3 * 2); // two records per thread
    try {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = made(stores[0]!, 100);
        ids.push(r.id);
        await stores[0]!.put(encodeRecord(r));
      }
      expect(stores[0]!.memory.bytes).toBeLessThanOrEqual(one * 2);
      expect(await Promise.all(ids.map((id) => stores[2]!.get(id).then((x) => x !== undefined)))).toEqual([false, false, true, true]);
    } finally {
      for (const s of stores) s.close();
    }
  });

  it('a question to a thread that exits fails at once, naming it; one restarting is refused', async () => {
    const a = new ThreadResponseStore(0, 2, 1 << 20);
    const { port1, port2 } = new MessageChannel();
    a.connect(1, port1);
    const id = responseId(1, 2);
    const pending = a.get(id);
    port2.close(); // the other end's thread is gone
    await expect(pending).rejects.toThrow(/front-end thread 1/);
    await expect(a.get(id)).rejects.toThrow(/front-end thread 1, which keeps this response, is restarting/);
    a.close();
  });
});

describe('a background response along its timeline', () => {
  const r: StoredResponse = { ...record('r', 0), startsAt: 100, completesAt: 200, response: { id: 'r', status: 'completed', output: [{ a: 1 }], usage: { input_tokens: 1 }, background: true } };
  it('is queued, then in progress (no output, no usage), then the finished object', () => {
    expect(responseAt(r, 50)).toMatchObject({ status: 'queued', output: [], usage: null });
    expect(responseAt(r, 150)).toMatchObject({ status: 'in_progress', output: [], usage: null });
    expect(responseAt(r, 200)).toBe(r.response);
  });
  it('stays cancelled once cancelled before completing', () => {
    expect(responseAt({ ...r, cancelledAt: 150 }, 500)).toMatchObject({ status: 'cancelled', output: [] });
    expect(responseAt({ ...r, cancelledAt: 250 }, 500)).toBe(r.response);
  });
});

describe('input item pages', () => {
  const items = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id }));
  const page = (query: string) => {
    const q = pageQuery(query);
    if ('message' in q) throw new Error(q.message);
    return inputItemsPage(items, q);
  };
  it('pages newest first by default, with limit, after and before', () => {
    expect(page('')).toMatchObject({ object: 'list', first_id: 'e', last_id: 'a', has_more: false });
    expect(page('limit=2&order=asc')).toMatchObject({ data: [{ id: 'a' }, { id: 'b' }], has_more: true, last_id: 'b' });
    expect(page('limit=2&order=asc&after=b')).toMatchObject({ data: [{ id: 'c' }, { id: 'd' }], has_more: true });
    expect(page('order=asc&after=d')).toMatchObject({ data: [{ id: 'e' }], has_more: false });
    expect(page('order=asc&before=c')).toMatchObject({ data: [{ id: 'a' }, { id: 'b' }] });
    expect(page('after=nothing')).toMatchObject({ data: [], first_id: null, last_id: null, has_more: false });
  });
  it('refuses a bad limit or order, naming it', () => {
    expect(pageQuery('limit=0')).toMatchObject({ param: 'limit' });
    expect(pageQuery('limit=101')).toMatchObject({ param: 'limit' });
    expect(pageQuery('order=up')).toMatchObject({ param: 'order' });
  });
});

describe('the generated stream', () => {
  const gpt4o = makeDeployment('gpt-4o', findModel('gpt-4o')!);
  const o4 = makeDeployment('o4-mini', findModel('o4-mini')!);
  const settings = { ttlSeconds: 60, streamDone: true };
  it.each([
    ['text', gpt4o, { input: 'hi' }],
    ['cut at max_output_tokens', gpt4o, { input: 'hi', max_output_tokens: 16 }],
    ['a reasoning model', o4, { input: 'hi', reasoning: { effort: 'high' } }],
    ['without obfuscation', gpt4o, { input: 'hi', stream_options: { include_obfuscation: false } }],
  ])('%s keeps every rule of the strict clients', (_label, deployment, body) => {
    const made = generateResponse(validateResponses({ model: 'x', stream: true, ...body }), deployment, DEFAULT_GENERATE_OPTIONS, settings, undefined, 0, undefined);
    if (made.answer.kind !== 'stream' || !('events' in made.answer.tokens)) throw new Error('not a composed stream');
    const text = [...made.answer.head, ...made.answer.tokens.events, ...made.answer.tail].join('');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const final = checkEventSequence(parseEventStream(text));
    expect(final).toEqual(made.record!.response);
    expect(made.answer.tokens.count).toBeGreaterThan(0);
    expect(text.includes('"obfuscation"')).toBe(!('stream_options' in body));
  });
});
