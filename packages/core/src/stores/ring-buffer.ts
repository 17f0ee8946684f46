/**
 * Fixed-capacity FIFO that overwrites its oldest item once full. A push is O(1); trimming an array
 * with `splice(0, 1)` at capacity shifts every element, per push, for as long as the process runs.
 * Slots are allocated as items arrive, so a large capacity costs nothing until it is used.
 */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  /** Index of the oldest item; stays 0 until the buffer first fills. */
  private start = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`RingBuffer capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = this.start + 1 === this.capacity ? 0 : this.start + 1;
  }

  /** The items newest-first, without copying them. */
  *newestFirst(): IterableIterator<T> {
    const n = this.items.length;
    for (let k = 1; k <= n; k++) yield this.items[(this.start - k + n) % n] as T;
  }

  /** The items oldest-first, as a new array. */
  toArray(): T[] {
    return this.items.slice(this.start).concat(this.items.slice(0, this.start));
  }
}
