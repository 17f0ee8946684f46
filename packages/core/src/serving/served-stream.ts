import { BrokeError } from '../errors.js';
import type { Candidate, RouteDecision } from '../routing/types.js';
import type { ChatChunk, ReadyIterator } from '../spec/index.js';
import { type DispatchStarted, failureOf } from './dispatch.js';
import { mayHaveNonFinite, TopLevelFields, withFiniteNumbers } from './json-fields.js';
import { recordOutcome } from './record.js';
import type { RelaySink } from './relay-sink.js';
import type { RequestFacts } from './request-observer.js';
import { endRequest } from './request-watcher.js';
import { chunkText } from './response-capture.js';
import type { Routed } from './routed.js';
import type { ServeRequest, ServingDeps } from './serve-chat.js';
import { type UsageCounts, usageOf } from './usage-text.js';

/** The node's first batch of raw payloads (the pass-through) and the rest to come. */
export interface FirstResult {
  iter: ReadyIterator<string[]>;
  first: IteratorResult<string[]>;
}

/** A usage object (not `"usage": null`) in a raw payload: that chunk is parsed. */
const USAGE_OBJECT = /"usage"\s*:\s*\{/;
/**
 * A tool call's key. Payload checks are regexes, not `includes`: V8 runs a plain literal (either
 * way) as a substring search that stops at every `"` of the chunk, ~4× slower per payload than a
 * compiled regex; the character class keeps this one from being taken as a plain literal.
 */
const TOOL_CALLS = /"tool_call[s]"/;
/** Non-empty text content in a raw payload (counts as a token when the node reports no usage). */
const CONTENT_TEXT = /"content"\s*:\s*"[^"]/;
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;

/**
 * A stream whose node has produced its first chunk: `relay` hands every chunk to a sink, then
 * records the outcome and tells the observers (both once the answer is out: after-answer.ts). Read
 * `decision` after dispatch for the headers: a fallback before the first chunk already changed the
 * route's explanation.
 */
export class ServedStream {
  readonly ok = true;
  readonly stream = true;
  readonly decision: RouteDecision;
  readonly candidate: Candidate;

  constructor(
    private readonly deps: ServingDeps,
    private readonly req: ServeRequest,
    private readonly route: Routed,
    private readonly started: DispatchStarted<FirstResult>,
    /** Time to the first chunk, without waits for a node slot. */
    readonly ttftMs: number,
    /** The model the caller's chunks name. */
    private readonly shownModel: string,
  ) {
    this.decision = route.decision;
    this.candidate = started.candidate;
  }

  /** What observers are told at the end: one object, built field by field (no spreads per request). */
  private facts(outcome: RequestFacts['outcome']): RequestFacts {
    const { route } = this;
    const facts: RequestFacts = {
      t0: route.t0,
      stream: true,
      ctx: route.ctx,
      decision: route.decision,
      candidate: this.candidate,
      outcome,
      ttftMs: this.ttftMs,
      routeMs: route.routeMs,
      messages: route.messages,
    };
    if (route.client !== undefined) facts.client = route.client;
    return facts;
  }

  /** Relays the node's chunks to `s` until the end; never throws (failures go to `s.fail`). */
  async relay(s: RelaySink): Promise<void> {
    const { deps, route, started, ttftMs, shownModel } = this;
    const { t0, decision } = route;
    const { candidate, controller } = started;
    const result = started.value;
    const wantsUsage = this.req.body.stream_options?.include_usage === true;
    // Every chunk's `id` is the route id: callers read it as `response.id` to rate or explain it.
    const fields = new TopLevelFields({
      id: JSON.stringify(decision.routeId),
      model: JSON.stringify(shownModel),
    });
    s.onAbort(() => controller.abort('client closed the stream'));
    let usage: UsageCounts | null | undefined;
    let chunks = 0;
    let last: ChatChunk | undefined;
    let lastPayload: string | undefined;
    let ended = false;
    // The answer's text, assembled only when it is captured (no per-chunk work otherwise).
    const answer: string[] | undefined = route.capture ? [] : undefined;
    /** One parsed chunk as the caller gets it (dropped when it only carries unwanted usage). */
    const emit = (chunk: ChatChunk): void => {
      last = chunk;
      if (answer) answer.push(chunkText(chunk));
      if (chunk.usage) usage = chunk.usage;
      if (chunk.choices.some((ch) => ch.delta?.content || ch.delta?.tool_calls)) chunks += 1;
      if (chunk.choices.length === 0 && !wantsUsage) return;
      const out = wantsUsage || !chunk.usage ? chunk : { ...chunk, usage: undefined };
      s.push(JSON.stringify({ ...out, id: decision.routeId, model: shownModel }));
    };
    try {
      // Pass-through: payloads go out as the node wrote them, with only `id` and `model`
      // replaced; the rare chunk carrying usage is parsed. What the node already sent is taken
      // in this turn (`ready`): an answer that arrived whole leaves in one write, at once.
      const { iter } = result;
      for (let r = result.first; !r.done; r = iter.ready?.() ?? (await iter.next())) {
        for (const raw of r.value) {
          // Python servers may write NaN / Infinity (not JSON): made null before anything reads it.
          const payload = mayHaveNonFinite(raw) ? withFiniteNumbers(raw) : raw;
          lastPayload = payload;
          if (USAGE_OBJECT.test(payload)) {
            // A usage-only chunk the caller did not ask for: its counts are read, the chunk dropped.
            if (!wantsUsage && EMPTY_CHOICES.test(payload)) usage = usageOf(payload) ?? usage;
            else emit(JSON.parse(payload) as ChatChunk);
            continue;
          }
          const hasOutput = CONTENT_TEXT.test(payload) || TOOL_CALLS.test(payload);
          if (hasOutput) chunks += 1;
          if (answer) answer.push(chunkText(payload));
          // A payload with output has choices: only the others can be an empty-choices chunk.
          if (!hasOutput && !wantsUsage && payload.includes('[') && EMPTY_CHOICES.test(payload)) continue;
          s.push(fields.apply(payload));
        }
        const blocked = s.flush();
        if (blocked) await blocked;
        if (s.aborted) break;
      }
      // The last chunk is only read for a usage estimate (below).
      if (wantsUsage && lastPayload !== undefined && last === undefined)
        last = JSON.parse(lastPayload) as ChatChunk;
      ended = !s.aborted;
      if (ended) {
        if (wantsUsage && !usage && last) {
          // The node ignored include_usage: send an estimate (one token per content chunk).
          const estimate = { prompt_tokens: 0, completion_tokens: chunks, total_tokens: chunks };
          s.push(
            JSON.stringify({
              ...last,
              id: decision.routeId,
              choices: [],
              usage: estimate,
              model: candidate.modelId,
            }),
          );
        }
        await s.end();
        const latencyMs = performance.now() - t0 - started.waitedMs;
        const tokens = usage?.completion_tokens ?? chunks;
        const promptTokens = usage?.prompt_tokens;
        recordOutcome(deps.router, decision.routeId, {
          success: true,
          latencyMs,
          ttftMs,
          tokens,
          ...(usage ? { promptTokens } : {}),
        });
        const facts = this.facts('ok');
        facts.tokens = tokens;
        if (usage && promptTokens !== undefined) facts.promptTokens = promptTokens;
        if (answer) facts.response = answer.join('');
        endRequest(deps, this.req.watcher, facts);
      } else {
        endRequest(deps, this.req.watcher, this.facts('client_closed'));
      }
    } catch (err) {
      if (s.aborted || this.req.client.gone) {
        // the caller left; nothing to tell anyone
        endRequest(deps, this.req.watcher, this.facts('client_closed'));
        return;
      }
      // Output has started, so failover would duplicate text: end with a clear error.
      const failure = failureOf(candidate.nodeId, err, controller);
      const message = `stream from node ${candidate.nodeId} failed after output had started: ${failure.error.message}`;
      deps.router.noteAttempt(decision.routeId, {
        nodeId: candidate.nodeId,
        modelId: candidate.modelId,
        ok: false,
        error: message,
      });
      recordOutcome(deps.router, decision.routeId, {
        success: false,
        latencyMs: performance.now() - t0 - started.waitedMs,
        ttftMs,
        error: message,
      });
      const error = new BrokeError('stream_interrupted', message, { status: failure.error.status });
      const facts = this.facts('error');
      facts.status = 200;
      facts.error = error;
      endRequest(deps, this.req.watcher, facts);
      try {
        await s.fail(error);
      } catch {
        // the caller may be gone as well
      }
    } finally {
      started.finish();
      if (!ended) {
        controller.abort('stream ended early');
        result.iter.return?.().catch(() => {});
      }
    }
  }
}
