/**
 * Map with a size bound that evicts the least recently set or touched entry. Map keeps
 * insertion order, so "touch" is delete + set and the oldest entry is the first key.
 */
export class BoundedLru<K, V> {
  private readonly map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('BoundedLru capacity must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  /** Read without changing recency (cheap reads on the hot path). */
  peek(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Read and mark as recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    if (this.map.has(key)) this.map.delete(key);
    else if (this.map.size >= this.capacity) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
