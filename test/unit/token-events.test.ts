/**
 * Issue 11, item 6: a stream's token events as a plan, rendered one at a time. The events are
 * exactly what the eager interleaving made; the plan is small and survives the trip from a pool
 * thread; the cursor pulls only what is due, a chunk at a time.
 */
import { describe, expect, it } from 'vitest';
import { generateChoice, type Choice } from '../../src/core/generation/choices.js';
import { corpusFor } from '../../src/core/generation/lorem.js';
import { seededRandom } from '../../src/core/random.js';
import { composedPlan, StreamCursor, tokenEvents, type TokenEventsPlan } from '../../src/core/generation/token-events.js';
import { getEncoding } from '../../src/core/tokens/tokenizer.js';
import { generate } from '../../src/core/generation/index.js';
import { makeDeployment } from '../../src/core/config/deployments.js';
import { findModel } from '../../src/core/models.js';

/** The eager interleaving the plan replaces: one token of each choice in turn. */
function interleave(choices: readonly Choice[], event: (index: number, token: string) => string): string[] {
  const events: string[] = [];
  const longest = Math.max(0, ...choices.map((c) => c.tokens.length));
  for (let t = 0; t < longest; t++) for (let i = 0; i < choices.length; i++) if (choices[i]!.tokens[t] !== undefined) events.push(event(i, choices[i]!.tokens[t]!));
  return events;
}

const planOf = (choices: readonly Choice[], encoding: 'cl100k_base' | 'o200k_base'): TokenEventsPlan => ({
  encoding,
  count: choices.reduce((n, c) => n + c.count, 0),
  before: choices.map((_, i) => `<${i}:`),
  after: choices.map((_, i) => `:${i}>`),
  frame: '|frame;',
  parts: choices.map((c) => c.parts),
});

describe('tokenEvents', () => {
  it.each(['cl100k_base', 'o200k_base'] as const)('renders exactly the eager events for choices of different lengths (%s)', (encoding) => {
    const corpus = corpusFor(getEncoding(encoding));
    const rand = seededRandom(42);
    for (let round = 0; round < 30; round++) {
      const n = 1 + Math.floor(rand() * 4);
      const choices = Array.from({ length: n }, () => generateChoice(corpus, 1 + Math.floor(rand() * 400), 100_000, rand() < 0.5 ? 'fill' : 'natural', rand));
      const plan = planOf(choices, encoding);
      const expected = interleave(choices, (i, token) => `<${i}:` + JSON.stringify(token) + `:${i}>|frame;`);
      expect([...tokenEvents(plan)]).toEqual(expected);
      expect(expected).toHaveLength(plan.count);
      // The plan crosses threads as plain data (structured clone) and renders the same events.
      expect([...tokenEvents(structuredClone(plan))]).toEqual(expected);
    }
  });

  it('a 4,000-token stream is a plan of about a kilobyte, not megabytes of events', () => {
    const deployment = makeDeployment('gpt-4o', findModel('gpt-4o')!);
    const answer = generate('chat', { messages: [{ role: 'user', content: 'x' }], max_tokens: 4_000, stream: true }, deployment, { answerLength: 'fill' });
    if (answer.kind !== 'stream') throw new Error(answer.kind);
    const planBytes = JSON.stringify(answer.tokens).length;
    const eventBytes = [...tokenEvents(answer.tokens)].reduce((n, e) => n + e.length, 0);
    expect(answer.tokens.count).toBe(4_000);
    expect(eventBytes).toBeGreaterThan(1_000_000);
    expect(planBytes).toBeLessThan(4_000);
  });
});

describe('StreamCursor', () => {
  const answer = { head: ['H;'], tail: ['T;', 'D;'], choices: 2, tokens: { encoding: 'cl100k_base', count: 6, before: ['a', 'b'], after: [';', ';'], frame: '', parts: [[' x', ' y', ' z'], [' u', ' v', ' w']] } as TokenEventsPlan };

  it('pulls what is due by now: head at once, a step of every choice per token time, the tail with the last', () => {
    const c = new StreamCursor(answer, 1000, 50, 10);
    expect(c.take(1000, 1e9)).toBe('H;');
    expect(c.hasDue(1049)).toBe(false);
    expect(c.nextDueMs()).toBe(1050);
    expect(c.take(1050, 1e9)).toBe('a"x";b"u";');
    expect(c.take(1065, 1e9)).toBe('a" y";b" v";'); // only an answer's first token loses its space
    expect(c.done).toBe(false);
    expect(c.take(1070, 1e9)).toBe('a" z";b" w";T;D;');
    expect(c.done).toBe(true);
    expect(c.take(99_999, 1e9)).toBe('');
  });

  it('a chunk stops once it has maxBytes, never inside an event', () => {
    const c = new StreamCursor(answer);
    const chunks: string[] = [];
    while (!c.done) chunks.push(c.take(Infinity, 8));
    expect(chunks).toEqual(['H;a"x";b"u";', 'a" y";b" v";', 'a" z";b" w";', 'T;D;']);
  });

  it('renders UTF-8 bytes: multi-byte tokens and templates, and an event larger than the scratch buffer', () => {
    const big = 'é'.repeat(100_000); // 200,000 bytes: more than the thread's scratch buffer
    const tokens: TokenEventsPlan = { encoding: 'cl100k_base', count: 3, before: ['«'], after: ['»'], frame: ';', parts: [[' ü', ' 日本', ' x']] };
    const c = new StreamCursor({ head: [big], tail: ['✓'], choices: 1, tokens });
    const first = c.chunk(Infinity);
    expect(first.byteLength).toBe(200_000); // the head alone: nothing else fits behind it
    expect(Buffer.from(first).toString('utf8')).toBe(big);
    expect(c.take(Infinity)).toBe('«"ü"»;«" 日本"»;«" x"»;✓');
    expect(c.done).toBe(true);
  });

  it('renders the same events as the string renderer for a real answer', () => {
    const deployment = makeDeployment('gpt-4o', findModel('gpt-4o')!);
    const answer = generate('chat', { messages: [{ role: 'user', content: 'x' }], max_tokens: 300, n: 2, stream: true }, deployment, { answerLength: 'fill' });
    if (answer.kind !== 'stream') throw new Error(answer.kind);
    const c = new StreamCursor(answer);
    let text = '';
    while (!c.done) text += c.take(Infinity, 1000);
    expect(text).toBe(answer.head.join('') + [...tokenEvents(answer.tokens)].join('') + answer.tail.join(''));
  });

  it('no tokens: the tail goes when the first token would have', () => {
    const empty = { ...answer, tokens: { ...answer.tokens, count: 0, parts: [[], []] } };
    const c = new StreamCursor(empty, 0, 100, 10);
    expect(c.take(0, 1e9)).toBe('H;');
    expect(c.hasDue(99)).toBe(false);
    expect(c.take(100, 1e9)).toBe('T;D;');
    expect(c.done).toBe(true);
  });
});

describe('composed plans (tool calls, structured outputs)', () => {
  it('interleaves the choices one event each, counts the events, and paces them as token events', () => {
    const tokens = composedPlan([['a1;', 'a2;', 'a3;'], ['b1;']]);
    expect(tokens.count).toBe(4);
    expect([...tokenEvents(tokens)]).toEqual(['a1;', 'b1;', 'a2;', 'a3;']);
    const c = new StreamCursor({ head: ['H;'], tail: ['T;'], choices: 2, tokens }, 0, 10, 5);
    expect(c.take(0, 1e9)).toBe('H;');
    expect(c.take(10, 1e9)).toBe('a1;b1;');
    expect(c.hasDue(14)).toBe(false);
    expect(c.take(15, 1e9)).toBe('a2;a3;T;'); // a step is one event of every choice; the tail goes with the last
    expect(c.done).toBe(true);
  });
});
