import { describe, expect, it } from 'vitest';
import { pickFallbacks, topIndices } from '../../src/routing/picker.js';

describe('picker', () => {
  it('ranks best first, stable on ties, bounded', () => {
    const values = Float64Array.from([0.2, 0.9, 0.5, 0.9, 0.1]);
    expect(topIndices(values, 5, 3)).toEqual([1, 3, 2]);
    expect(topIndices(values, 5, 10)).toEqual([1, 3, 2, 0, 4]);
    expect(topIndices(values, 2, 10)).toEqual([1, 0]);
  });

  it('prefers other nodes for fallbacks', () => {
    const nodeOf = (i: number) => ['a', 'a', 'b', 'c'][i] as string;
    expect(pickFallbacks([0, 1, 2, 3], nodeOf, 2)).toEqual([2, 3]);
    expect(pickFallbacks([0, 1, 2, 3], nodeOf, 3)).toEqual([2, 3, 1]);
    expect(pickFallbacks([0], nodeOf, 3)).toEqual([]);
  });
});
