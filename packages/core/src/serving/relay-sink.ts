import type { BrokeError } from '../errors.js';

/**
 * Where a streamed answer goes: the gateway frames it as SSE (http/sse-sink.ts), LangChain's
 * in-process mode parses it into chunks. Serving hands over payloads as JSON text, already as the
 * caller gets them (`id` is the route id, `model` the model shown).
 */
export interface RelaySink {
  /** The caller stopped reading (client gone, consumer broke out). */
  readonly aborted: boolean;
  onAbort(listener: () => void): void;
  /** One payload, held until `flush` (a node read often carries several). */
  push(payload: string): void;
  /**
   * Hands over what was pushed. Backpressure: a promise that resolves when more may come, or
   * undefined when more may come at once (the relay then carries on in the same turn).
   */
  flush(): Promise<void> | undefined;
  /** The answer is complete: hands over what was pushed, then the end. */
  end(): Promise<void>;
  /** The node failed after output had started (failover would duplicate text): tell the caller. */
  fail(error: BrokeError): Promise<void>;
}
