import type { BrokeError, ChatChunk, RelaySink } from '@broke/core';

/**
 * Core's relay (a push: serving hands over payloads per node read) as LangChain's pull: an async
 * iterable of chunks. A node read waits until the consumer took the previous one (backpressure);
 * the consumer breaking out aborts the relay, which aborts the node call.
 */
export class ChunkQueue implements RelaySink {
  aborted = false;
  private pushed: ChatChunk[] = [];
  private ready: ChatChunk[] = [];
  private done = false;
  private failure: BrokeError | undefined;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;
  private readonly listeners: Array<() => void> = [];

  onAbort(listener: () => void): void {
    this.listeners.push(listener);
  }

  push(payload: string): void {
    this.pushed.push(JSON.parse(payload) as ChatChunk);
  }

  flush(): Promise<void> | undefined {
    if (!this.hand()) return undefined;
    return new Promise((resolve) => {
      this.wakeProducer = resolve;
    });
  }

  async end(): Promise<void> {
    this.hand();
    this.close();
  }

  async fail(error: BrokeError): Promise<void> {
    this.failure = error;
    this.close();
  }

  /** The relay is over (ended, failed, or saw the caller leave). */
  close(): void {
    this.done = true;
    this.wake();
  }

  /** Chunks in order; throws the relay's failure after the chunks before it. */
  async *chunks(): AsyncGenerator<ChatChunk> {
    try {
      for (;;) {
        const next = this.ready.shift();
        if (next) {
          yield next;
          continue;
        }
        this.wakeProducer?.();
        this.wakeProducer = undefined;
        if (this.failure) throw this.failure;
        if (this.done) return;
        await new Promise<void>((resolve) => {
          this.wakeConsumer = resolve;
        });
      }
    } finally {
      if (!this.done) this.abort();
    }
  }

  /** Moves pushed chunks to the consumer; false when there were none. */
  private hand(): boolean {
    if (this.pushed.length === 0) return false;
    this.ready.push(...this.pushed);
    this.pushed = [];
    this.wake();
    return true;
  }

  private wake(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }

  private abort(): void {
    this.aborted = true;
    for (const listener of this.listeners) listener();
    this.wakeProducer?.();
    this.wakeProducer = undefined;
  }
}
