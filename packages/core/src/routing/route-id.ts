import { randomBytes } from 'node:crypto';

/**
 * Fast unique route ids: a random per-process prefix plus a counter, e.g. `r-k3x9q2mf-1a`.
 * Unique within the process by construction and across processes with high probability
 * (41 random bits); costs one number-to-string per route.
 */
export class RouteIdGenerator {
  private readonly prefix = `r-${randomBytes(6).readUIntBE(0, 6).toString(36).padStart(8, '0').slice(-8)}-`;
  private counter = 0;

  next(): string {
    this.counter++;
    return this.prefix + this.counter.toString(36);
  }
}
