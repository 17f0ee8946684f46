import { BoundedLru } from './bounded-lru.js';

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
  }

  get size(): number {
    return this.sessions.size;
  }
}
