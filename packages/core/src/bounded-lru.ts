interface Entry<V> {
  value: V;
  /** Sequence number of the entry's latest queue slot; older slots for the key are stale. */
  seq: number;
}

/**
 * Map with a size bound that evicts the least recently set or touched entry.
 *
 * Recency lives in a queue of (key, seq) slots beside the map: set/get push a slot, eviction pops
 * from the front and skips stale slots. This avoids `map.keys().next()` for the oldest key, which
 * in V8 scans over deleted entries left at the front of the hash table: O(capacity) per eviction
 * in the steady state (a full route LRU), the single biggest cost of a routing decision.
 */
export class BoundedLru<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  private queueKeys: K[] = [];
  private queueSeqs: number[] = [];
  private head = 0;
  private seq = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('BoundedLru capacity must be at least 1');
  }

  get size(): number {
    return this.map.size;
  }

  /** Read without changing recency (cheap reads on the hot path). */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  /** Read and mark as recently used. */
  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    entry.seq = this.enqueue(key);
    return entry.value;
  }

  set(key: K, value: V): void {
    const entry = this.map.get(key);
    if (entry !== undefined) {
      entry.value = value;
      entry.seq = this.enqueue(key);
      return;
    }
    if (this.map.size >= this.capacity) this.evictOldest();
    this.map.set(key, { value, seq: this.enqueue(key) });
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.queueKeys = [];
    this.queueSeqs = [];
    this.head = 0;
  }

  private enqueue(key: K): number {
    // Touches without evictions (a map below capacity) would grow the queue: rebuild it from the
    // live slots when it holds more than twice the entries.
    if (this.queueKeys.length - this.head > 2 * this.map.size + 1024) this.compact();
    const seq = ++this.seq;
    this.queueKeys.push(key);
    this.queueSeqs.push(seq);
    return seq;
  }

  private compact(): void {
    const keys: K[] = [];
    const seqs: number[] = [];
    for (let q = this.head; q < this.queueKeys.length; q++) {
      const key = this.queueKeys[q] as K;
      const seq = this.queueSeqs[q] as number;
      if (this.map.get(key)?.seq === seq) {
        keys.push(key);
        seqs.push(seq);
      }
    }
    this.queueKeys = keys;
    this.queueSeqs = seqs;
    this.head = 0;
  }

  private evictOldest(): void {
    const keys = this.queueKeys;
    const seqs = this.queueSeqs;
    while (this.head < keys.length) {
      const key = keys[this.head] as K;
      const seq = seqs[this.head] as number;
      keys[this.head] = undefined as K; // let the key be collected
      this.head++;
      if (this.map.get(key)?.seq === seq) {
        this.map.delete(key);
        break;
      }
    }
    // Drop the consumed front of the queue now and then (amortised O(1)).
    if (this.head > 1024 && this.head * 2 > keys.length) {
      this.queueKeys = keys.slice(this.head);
      this.queueSeqs = seqs.slice(this.head);
      this.head = 0;
    }
  }
}
