import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../src/stores/ring-buffer.js';

function filled(capacity: number, count: number): RingBuffer<number> {
  const ring = new RingBuffer<number>(capacity);
  for (let i = 0; i < count; i++) ring.push(i);
  return ring;
}

describe('RingBuffer', () => {
  it('keeps insertion order below capacity', () => {
    expect(filled(3, 2).toArray()).toEqual([0, 1]);
    expect(filled(3, 3).toArray()).toEqual([0, 1, 2]);
  });

  it('keeps the last `capacity` items, oldest first, after wrapping around', () => {
    const ring = filled(3, 7);
    expect(ring.size).toBe(3);
    expect(ring.toArray()).toEqual([4, 5, 6]);
    // Wrapped exactly onto the start again.
    expect(filled(3, 9).toArray()).toEqual([6, 7, 8]);
    expect(filled(1, 5).toArray()).toEqual([4]);
  });

  it('hands out a copy', () => {
    const ring = filled(3, 4);
    ring.toArray().push(99);
    expect(ring.toArray()).toEqual([1, 2, 3]);
  });

  it('refuses a capacity that cannot hold anything', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
    expect(() => new RingBuffer(1.5)).toThrow(RangeError);
  });
});
