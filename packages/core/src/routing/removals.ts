import type { RemovalReason, RemovalSink, RoutingContext } from './plugin.js';

/**
 * What one filter removed in one route: table indices with their reasons, in order. Reused
 * across filters and routes (cleared before each filter), so filtering allocates nothing.
 */
export class Removals implements RemovalSink {
  readonly indices: number[] = [];
  private readonly reasons: RemovalReason[] = [];

  add(index: number, reason: RemovalReason): void {
    this.indices.push(index);
    this.reasons.push(reason);
  }

  get length(): number {
    return this.indices.length;
  }

  clear(): void {
    this.indices.length = 0;
    this.reasons.length = 0;
  }

  /** The k-th removal's reason as text (a reason function runs here, only when shown). */
  reasonAt(k: number, ctx: RoutingContext): string {
    const reason = this.reasons[k];
    if (typeof reason === 'string') return reason;
    return reason?.(this.indices[k] as number, ctx) ?? 'removed';
  }
}
