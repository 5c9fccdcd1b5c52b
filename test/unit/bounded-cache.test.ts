import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../src/core/bounded-cache.js';

describe('BoundedCache', () => {
  it('evicts the oldest entries past the entry bound', () => {
    const c = new BoundedCache<number>(3, 1_000);
    for (const k of ['a', 'b', 'c', 'd']) c.set(k, k.charCodeAt(0), 1);
    expect(c.size).toBe(3);
    expect(c.get('a')).toBeUndefined();
    expect(c.get('d')).toBe(100);
  });

  it('evicts by weight, so a few heavy entries cannot pin unbounded memory', () => {
    const c = new BoundedCache<string>(100, 10);
    c.set('x', 'x', 4);
    c.set('y', 'y', 4);
    c.set('z', 'z', 4); // 12 > 10: x goes
    expect(c.get('x')).toBeUndefined();
    expect(c.weight).toBe(8);
    c.set('huge', 'h', 11); // heavier than the whole budget: not kept, nothing evicted
    expect(c.get('huge')).toBeUndefined();
    expect(c.size).toBe(2);
  });
});
