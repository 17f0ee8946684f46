import { ANY } from './quality-stat.js';

/**
 * Admits at most `limit` distinct values (teams, roles) to the learned statistics; later new values
 * are learned as `*` (the pooled level). Roles and teams come from request headers, so without a
 * cap a client inventing names would grow the statistics, and the store loaded at start-up, without
 * bound. Values already admitted (or loaded from the store) always stay.
 */
export class CardinalityCap {
  private readonly admitted = new Set<string>();

  constructor(
    readonly limit: number,
    known: Iterable<string> = [],
  ) {
    for (const value of known) if (value !== ANY) this.admitted.add(value);
  }

  /** The value itself when admitted (now or before), else `*`. */
  admit(value: string): string {
    if (value === ANY || this.admitted.has(value)) return value;
    if (this.admitted.size >= this.limit) return ANY;
    this.admitted.add(value);
    return value;
  }

  get size(): number {
    return this.admitted.size;
  }
}
