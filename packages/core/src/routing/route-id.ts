import { randomFillSync } from 'node:crypto';

/** Random bytes per id: 96 bits, so ids cannot be guessed or enumerated. */
const ID_BYTES = 12;
/** Ids per refill of the random pool (one crypto call per this many routes). */
const POOL_IDS = 256;
/** base64url's alphabet as character codes. */
const BASE64URL = Uint8Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', (c) =>
  c.charCodeAt(0),
);

/**
 * Unguessable route ids, e.g. `r-Jx3kq9TzB0vL2mNa8wYp`: a route id is what lets a client rate or
 * read a route, so it must not be derivable from another one (a counter would be). Random bytes
 * come from a pool refilled in one call, so an id costs a base64url encoding, not a syscall.
 * The id is made as one flat string (`'r-' + base64` would be a rope of two): it is a key of the
 * router's maps for the newest routes, where a rope costs a flattening and 64 bytes more.
 */
export class RouteIdGenerator {
  private readonly pool = Buffer.alloc(ID_BYTES * POOL_IDS);
  private offset = this.pool.length;
  /** `r-` and 16 base64url characters, rewritten per id. */
  private readonly codes: number[] = new Array(2 + (ID_BYTES / 3) * 4).fill(0);

  constructor() {
    this.codes[0] = 0x72; // r
    this.codes[1] = 0x2d; // -
  }

  next(): string {
    if (this.offset === this.pool.length) {
      randomFillSync(this.pool);
      this.offset = 0;
    }
    const { pool, codes } = this;
    let at = 2;
    for (let o = this.offset; o < this.offset + ID_BYTES; o += 3) {
      const n = ((pool[o] as number) << 16) | ((pool[o + 1] as number) << 8) | (pool[o + 2] as number);
      codes[at++] = BASE64URL[n >>> 18] as number;
      codes[at++] = BASE64URL[(n >>> 12) & 63] as number;
      codes[at++] = BASE64URL[(n >>> 6) & 63] as number;
      codes[at++] = BASE64URL[n & 63] as number;
    }
    this.offset += ID_BYTES;
    return String.fromCharCode.apply(null, codes);
  }
}
