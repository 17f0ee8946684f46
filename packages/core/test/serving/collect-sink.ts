import type { BrokeError, ChatChunk, RelaySink } from '../../src/index.js';

/** A relay sink for tests: keeps what the relay handed over, parsed, and how it ended. */
export class Collect implements RelaySink {
  aborted = false;
  chunks: ChatChunk[] = [];
  ended = false;
  failed: BrokeError | undefined;
  private pending: string[] = [];
  onAbort(): void {}
  push(payload: string): void {
    this.pending.push(payload);
  }
  async flush(): Promise<void> {
    for (const p of this.pending) this.chunks.push(JSON.parse(p) as ChatChunk);
    this.pending = [];
  }
  async end(): Promise<void> {
    await this.flush();
    this.ended = true;
  }
  async fail(error: BrokeError): Promise<void> {
    this.failed = error;
  }
}
