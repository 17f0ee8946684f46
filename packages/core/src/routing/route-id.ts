import { randomFillSync } from 'node:crypto';

/** Random bytes per id: 96 bits, so ids cannot be guessed or enumerated. */
const ID_BYTES = 12;
/** Ids per refill of the random pool (one crypto call per this many routes). */
const POOL_IDS = 256;

/**
 * Unguessable route ids, e.g. `r-Jx3kq9TzB0vL2mNa8wYp`: a route id is what lets a client rate or
 * read a route, so it must not be derivable from another one (a counter would be). Random bytes
 * come from a pool refilled in one call, so an id costs a base64url encoding, not a syscall.
 */
export class RouteIdGenerator {
  private readonly pool = Buffer.alloc(ID_BYTES * POOL_IDS);
  private offset = this.pool.length;

  next(): string {
    if (this.offset === this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const id = this.pool.toString('base64url', this.offset, this.offset + ID_BYTES);
    this.offset += ID_BYTES;
    return `r-${id}`;
  }
}
