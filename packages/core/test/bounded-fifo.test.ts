import { describe, expect, it } from 'vitest';
import { BoundedFifo } from '../src/bounded-fifo.js';

describe('BoundedFifo', () => {
  it('evicts the oldest inserted key once full; reads do not change the order', () => {
    const fifo = new BoundedFifo<string, number>(3);
    fifo.set('a', 1);
    fifo.set('b', 2);
    fifo.set('c', 3);
    expect(fifo.get('a')).toBe(1); // a read, not a use: 'a' is still the oldest
    fifo.set('d', 4);
    expect(fifo.get('a')).toBeUndefined();
    expect([fifo.get('b'), fifo.get('c'), fifo.get('d')]).toEqual([2, 3, 4]);
    expect(fifo.size).toBe(3);
  });

  it('a replaced key keeps its place and its slot (no double eviction later)', () => {
    const fifo = new BoundedFifo<string, number>(2);
    fifo.set('a', 1);
    fifo.set('b', 2);
    fifo.set('a', 10);
    expect(fifo.get('a')).toBe(10);
    fifo.set('c', 3); // evicts 'a', the oldest insertion
    expect(fifo.get('a')).toBeUndefined();
    fifo.set('d', 4); // evicts 'b'
    expect([fifo.get('b'), fifo.get('c'), fifo.get('d')]).toEqual([undefined, 3, 4]);
    expect(fifo.size).toBe(2);
  });

  it('wraps around its ring many times with the size bound held', () => {
    const fifo = new BoundedFifo<number, number>(7);
    for (let i = 0; i < 1000; i++) fifo.set(i, i * 2);
    expect(fifo.size).toBe(7);
    for (let i = 993; i < 1000; i++) expect(fifo.get(i)).toBe(i * 2);
    expect(fifo.get(992)).toBeUndefined();
  });

  it('refuses a capacity below 1', () => {
    expect(() => new BoundedFifo(0)).toThrow(/at least 1/);
  });
});
