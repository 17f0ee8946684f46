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
  /** Enclosing runs, nearest first (a few levels), for blaming a failing step on its calls. */
  ancestors: string[];
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
  private readonly started = new Map<
    string,
    { t0: number; parentRunId: string | undefined; ancestors: string[] }
  >();
  /** Parent of each open chain run, so a model call knows its enclosing steps. */
  private readonly chainParents = new Map<string, string | undefined>();
  /** Chain runs that already failed: their parents' errors are the same failure propagating. */
  private readonly failed = new Set<string>();
  private static readonly MAX_RECORDS = 1000;
  private static readonly BLAME_DEPTH = 3;
  private readonly pending = new Set<Promise<void>>();
  private readonly options: Required<Omit<BrokeFeedbackHandlerOptions, 'onRecord'>> &
    Pick<BrokeFeedbackHandlerOptions, 'onRecord'>;

  constructor(
    private readonly target: FeedbackTarget,
    options: BrokeFeedbackHandlerOptions = {},
  ) {
    // Run in line with the chain (not in LangChain's background queue), so records are complete
    // when invoke() returns; the handlers only do map updates, the feedback itself is not awaited.
    super({ _awaitHandler: true });
    this.options = { reportSuccess: true, blameParentErrors: true, ...options };
  }

  override handleChatModelStart(
    _llm: Serialized,
    _messages: BaseMessage[][],
    runId: string,
    parentRunId?: string,
  ): void {
    const ancestors: string[] = [];
    for (let id = parentRunId; id !== undefined && ancestors.length < BrokeFeedbackHandler.BLAME_DEPTH; ) {
      ancestors.push(id);
      id = this.chainParents.get(id);
    }
    this.started.set(runId, { t0: performance.now(), parentRunId, ancestors });
  }

  override handleChainStart(
    _chain: Serialized,
    _inputs: unknown,
    runId: string,
    // LangChain passes the parent run id 4th here, whatever the declared parameter names say.
    parentRunId?: string,
  ): void {
    this.chainParents.set(runId, parentRunId);
  }

  override handleChainEnd(_outputs: unknown, runId: string): void {
    this.chainParents.delete(runId);
    this.failed.delete(runId); // a fallback handled the child's error
  }

  private finish(
    runId: string,
    fields: Omit<BrokeRunRecord, 'runId' | 'parentRunId' | 'latencyMs' | 'ancestors'>,
  ): BrokeRunRecord {
    const start = this.started.get(runId);
    this.started.delete(runId);
    const record: BrokeRunRecord = {
      runId,
      parentRunId: start?.parentRunId,
      ancestors: start?.ancestors ?? [],
      latencyMs: start ? performance.now() - start.t0 : 0,
      ...fields,
    };
    this.records.push(record);
    if (this.records.length > BrokeFeedbackHandler.MAX_RECORDS) this.records.shift();
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

  override handleChainError(err: unknown, runId: string, parentRunId?: string): void {
    const parent = parentRunId ?? this.chainParents.get(runId);
    this.chainParents.delete(runId);
    // Errors surface bottom-up: only the step where it started is news, its ancestors just relay it.
    const relayed = this.failed.has(runId);
    this.failed.delete(runId);
    if (parent !== undefined) this.failed.add(parent);
    if (relayed || !this.options.blameParentErrors || parent === undefined) return;
    // Blame calls made in the same step as the failing run (model → parser in one sequence): the
    // call sits under the failing run's parent, or is its cousin (each wrapped once, as in the
    // structured-output pipeline). Calls from earlier steps of an outer chain are not blamed.
    const grandparent = this.chainParents.get(parent);
    const sameStep = (a: string[]) =>
      a[0] === parent || a[1] === parent || (grandparent !== undefined && a[1] === grandparent);
    for (const record of this.records) {
      if (!record.success || !record.routeId || !sameStep(record.ancestors)) continue;
      record.success = false;
      record.error = `a later step failed on this answer: ${(err as Error)?.message ?? String(err)}`;
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
