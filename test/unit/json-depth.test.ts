/** Issue 11, item 2: the depth bound on client JSON, without recursion and ignoring strings. */
import { describe, expect, it } from 'vitest';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../../src/core/wire/json-depth.js';

const nested = (depth: number, open = '[', close = ']'): string => open.repeat(depth) + close.repeat(depth);

describe('jsonTooDeep', () => {
  it('allows MAX_JSON_DEPTH levels and refuses one more, for arrays and objects', () => {
    expect(jsonTooDeep(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTooDeep(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    const objects = (d: number): string => '{"a":'.repeat(d) + '1' + '}'.repeat(d);
    expect(jsonTooDeep(objects(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonTooDeep(objects(MAX_JSON_DEPTH + 1))).toBe(true);
  });

  it('takes 100,000 levels inside tools[].function.parameters without overflowing the stack', () => {
    const body = `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}]}`;
    expect(jsonTooDeep(body)).toBe(true);
    // What the check prevents: the parse succeeds, the first recursive walk does not.
    expect(() => JSON.stringify(JSON.parse(body))).toThrow(RangeError);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ content: '['.repeat(10_000) + '\\"' + '{'.repeat(10_000) });
    expect(jsonTooDeep(text)).toBe(false);
    expect(jsonTooDeep(`["\\"${'['.repeat(500)}"]`)).toBe(false);
  });

  it('many siblings are not depth: 10,000 messages pass', () => {
    const body = JSON.stringify({ messages: Array.from({ length: 10_000 }, () => ({ role: 'user', content: [{ type: 'text', text: 'x' }] })) });
    expect(jsonTooDeep(body)).toBe(false);
  });
});
