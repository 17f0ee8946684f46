import { BoundedLru } from '../bounded-lru.js';

export interface AffinityTarget {
  nodeId: string;
  modelId: string;
}

/**
 * Remembers which node × model served each conversation (sessionId), so follow-up turns can
 * reuse the node's prompt cache. Bounded: old sessions are forgotten first.
 */
export class SessionAffinity {
  private readonly sessions: BoundedLru<string, AffinityTarget>;
  /** Told of each new choice (replicas share them through Redis: cluster/replica-state.ts). */
  onRemember: ((sessionId: string, target: AffinityTarget) => void) | undefined;

  constructor(capacity = 100_000) {
    this.sessions = new BoundedLru(capacity);
  }

  lookup(sessionId: string | undefined): AffinityTarget | undefined {
    return sessionId === undefined ? undefined : this.sessions.peek(sessionId);
  }

  remember(sessionId: string | undefined, nodeId: string, modelId: string): void {
    if (sessionId === undefined) return;
    const known = this.sessions.peek(sessionId);
    if (known && known.nodeId === nodeId && known.modelId === modelId) return;
    this.sessions.set(sessionId, { nodeId, modelId });
    this.onRemember?.(sessionId, { nodeId, modelId });
  }

  /** A choice made elsewhere (another replica): cached here, not announced again. */
  prime(sessionId: string, target: AffinityTarget): void {
    this.sessions.set(sessionId, { nodeId: target.nodeId, modelId: target.modelId });
  }

  get size(): number {
    return this.sessions.size;
  }
}
