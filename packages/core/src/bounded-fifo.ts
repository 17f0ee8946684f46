/**
 * Map with a size bound that evicts the oldest inserted entry; reads never change the order.
 *
 * For maps written once per key and only read after (the router's routes and explanations):
 * no recency bookkeeping, so no per-entry wrapper object and no queue that grows and is sliced,
 * only the map and a ring of its keys in insertion order. (BoundedLru, for maps whose reads count
 * as use, pays for both.)
 */
export class BoundedFifo<K, V> {
  private readonly map = new Map<K, V>();
  private readonly ring: Array<K | undefined>;
  /** Ring slot of the next insertion (and, once full, of the oldest key). */
  private next = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('BoundedFifo capacity must be at least 1');
    this.ring = new Array(capacity).fill(undefined);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Adds or replaces; a replaced key keeps its place in the order. */
  set(key: K, value: V): void {
    // One lookup: a size that did not change means the key was there (and keeps its slot).
    const size = this.map.size;
    this.map.set(key, value);
    if (this.map.size === size) return;
    const slot = this.next;
    const oldest = this.ring[slot];
    if (oldest !== undefined) this.map.delete(oldest);
    this.ring[slot] = key;
    this.next = slot + 1 === this.capacity ? 0 : slot + 1;
  }
}
