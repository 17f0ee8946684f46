import type { Feedback } from '@broke/core';
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { Serialized } from '@langchain/core/load/serializable';
import type { BaseMessage } from '@langchain/core/messages';
import type { LLMResult } from '@langchain/core/outputs';
import type { BrokeRouteMetadata } from './route-metadata.js';

/** One model call the handler saw. */
export interface BrokeRunRecord {
  runId: string;
  parentRunId: string | undefined;
  routeId: string | undefined;
  nodeId: string | undefined;
  modelId: string | undefined;
  latencyMs: number;
  success: boolean;
  error?: string;
  /** Feedback sent for this route (the last one wins at the router). */
  feedback?: Feedback;
  feedbackError?: string;
}

export interface FeedbackTarget {
  feedback(routeId: string, feedback: Feedback): Promise<void>;
}

export interface BrokeFeedbackHandlerOptions {
  /** Send `{ success: true }` when a call ends well (default true). */
  reportSuccess?: boolean;
  /**
   * When the chain step that made a call fails afterwards (an output parser rejecting the answer,
   * a tool refusing its arguments), report that call's route as failed (default true).
   */
  blameParentErrors?: boolean;
  /** Called with every record as it is completed. */
  onRecord?: (record: BrokeRunRecord) => void;
}

function routeOf(output: LLMResult): BrokeRouteMetadata | undefined {
  const generation = output.generations[0]?.[0] as { message?: BaseMessage } | undefined;
  const metadata = generation?.message?.response_metadata as Record<string, unknown> | undefined;
  const fromMessage = metadata?.broke as BrokeRouteMetadata | undefined;
  return fromMessage ?? (output.llmOutput?.broke as BrokeRouteMetadata | undefined);
}

/**
 * Records success, latency and errors of every BrokeChatModel call it is attached to, and turns
 * them into router feedback, so routing learns from what the application saw (including answers
 * that arrived fine but broke the next step) without any code at the call sites.
 */
export class BrokeFeedbackHandler extends BaseCallbackHandler {
  name = 'BrokeFeedbackHandler';
  readonly records: BrokeRunRecord[] = [];
  private readonly started = new Map<string, { t0: number; parentRunId: string | undefined }>();
  private readonly pending = new Set<Promise<void>>();
  private readonly options: Required<Omit<BrokeFeedbackHandlerOptions, 'onRecord'>> &
    Pick<BrokeFeedbackHandlerOptions, 'onRecord'>;

  constructor(
    private readonly target: FeedbackTarget,
    options: BrokeFeedbackHandlerOptions = {},
  ) {
    super();
    this.options = { reportSuccess: true, blameParentErrors: true, ...options };
  }

  override handleChatModelStart(
    _llm: Serialized,
    _messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
  ): void {
    this.started.set(runId, { t0: performance.now(), parentRunId });
  }

  private finish(runId: string, fields: Omit<BrokeRunRecord, 'runId' | 'parentRunId' | 'latencyMs'>): BrokeRunRecord {
    const start = this.started.get(runId);
    this.started.delete(runId);
    const record: BrokeRunRecord = {
      runId,
      parentRunId: start?.parentRunId,
      latencyMs: start ? performance.now() - start.t0 : 0,
      ...fields,
    };
    this.records.push(record);
    this.options.onRecord?.(record);
    return record;
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const route = routeOf(output);
    const record = this.finish(runId, {
      routeId: route?.routeId,
      nodeId: route?.nodeId,
      modelId: route?.modelId,
      success: true,
    });
    if (this.options.reportSuccess) this.send(record, { success: true });
  }

  override handleLLMError(err: unknown, runId: string): void {
    const e = err as { routeId?: string; message?: string; code?: string };
    const record = this.finish(runId, {
      routeId: e?.routeId,
      nodeId: undefined,
      modelId: undefined,
      success: false,
      error: e?.message ?? String(err),
    });
    // The caller giving up says nothing about the model's quality.
    if (e?.code === 'aborted' || e?.code === 'timeout') return;
    this.send(record, { success: false });
  }

  override handleChainError(err: unknown, runId: string): void {
    if (!this.options.blameParentErrors) return;
    for (const record of this.records) {
      if (record.parentRunId !== runId || !record.success || !record.routeId) continue;
      record.success = false;
      record.error = `step failed after the answer: ${(err as Error)?.message ?? String(err)}`;
      this.send(record, { success: false });
    }
  }

  private send(record: BrokeRunRecord, feedback: Feedback): void {
    if (!record.routeId) return;
    record.feedback = feedback;
    const p = this.target
      .feedback(record.routeId, feedback)
      .catch((error: unknown) => {
        record.feedbackError = (error as Error)?.message ?? String(error);
      })
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits until every feedback sent so far has reached the router. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
