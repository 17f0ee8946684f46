import type { CaptureConfig } from '../config/capture-schema.js';
import type { AgentContext } from '../context/agent-context.js';
import type { Feedback } from '../learning/outcome.js';
import { evidenceOfFeedback } from '../learning/reward.js';
import type { RequestEnd } from '../serving/request-observer.js';
import type { ResponseCapture } from '../serving/response-capture.js';
import type { ChatMessage } from '../spec/index.js';
import type { ExportedMessage } from './interaction-schema.js';
import { InteractionStore } from './interaction-store.js';
import { type RedactHook, type Redactor, redactor } from './redaction.js';

/** How often old interactions are pruned while the gateway runs (also once at start). */
const PRUNE_EVERY_MS = 3_600_000;

export interface InteractionCaptureOptions {
  config: CaptureConfig;
  /** Default: the SQLite file at config.store.path. */
  store?: InteractionStore;
  /** Runs after the config's redaction rules on every message text (for in-process users). */
  redact?: RedactHook;
}

/**
 * Opt-in prompt and answer capture (`capture:` in broke.yaml). Serving asks `wants(ctx)` once
 * per request; for a captured team it hands the answer's text to `observe` (a request observer),
 * which stores the redacted messages with the route's metadata. `rated` adds ratings from
 * POST /v1/feedback. Requests of other teams are never read, let alone stored.
 */
export class InteractionCapture implements ResponseCapture {
  readonly store: InteractionStore;
  private readonly all: boolean;
  private readonly teams: ReadonlySet<string>;
  private readonly rules: Redactor | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: InteractionCaptureOptions) {
    const { config } = options;
    this.all = config.teams === '*';
    this.teams = new Set(config.teams === '*' ? [] : config.teams);
    this.rules = redactor(config.redact);
    this.store = options.store ?? InteractionStore.open(config.store.path);
    this.store.prune(config.retentionDays);
    this.timer = setInterval(() => this.store.prune(config.retentionDays), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  wants(ctx: AgentContext): boolean {
    return this.all || (ctx.team !== undefined && this.teams.has(ctx.team));
  }

  /** The request observer: stores a captured request that was answered. */
  readonly observe = (end: RequestEnd): void => {
    const { decision, candidate, response } = end;
    if (response === undefined || end.outcome !== 'ok' || !decision || !candidate) return;
    const { config } = this.options;
    const ctx = end.ctx ?? {};
    const explanation = decision.explanation;
    const messages: ExportedMessage[] = [];
    if (config.prompts)
      for (const m of end.messages ?? []) messages.push(this.redactMessage(m as ExportedMessage, ctx.team));
    if (config.responses)
      messages.push({ role: 'assistant', content: this.redactText(response, 'assistant', ctx.team) });
    const scored = explanation.ranked.find(
      (r) => r.nodeId === candidate.nodeId && r.modelId === candidate.modelId,
    );
    const at = Date.parse(explanation.at);
    this.store.add({
      at: Number.isFinite(at) ? at : Date.now(),
      messages,
      metadata: {
        route_id: decision.routeId,
        created_at: new Date(Number.isFinite(at) ? at : Date.now()).toISOString(),
        team: ctx.team ?? null,
        role: ctx.role ?? null,
        session: ctx.sessionId ?? null,
        framework: ctx.framework ?? null,
        conversation_depth: ctx.conversationDepth ?? null,
        task_type: explanation.analysis.taskType,
        complexity: explanation.analysis.complexity,
        profile: explanation.profile,
        node: candidate.nodeId,
        model: candidate.modelId,
        predicted_quality: scored ? Math.min(1, Math.max(0, scored.quality)) : null,
        temperature: explanation.temperature ?? null,
        fallback: explanation.attempts.some((a) => !a.ok),
        stream: end.stream,
        latency_ms: end.ms,
        ttft_ms: end.ttftMs ?? null,
        prompt_tokens: end.promptTokens ?? explanation.analysis.promptTokens ?? null,
        completion_tokens: end.tokens ?? null,
        prompt_captured: config.prompts,
        response_captured: config.responses,
      },
    });
  };

  /** Feedback applied to these routes (POST /v1/feedback); routes that were not captured are skipped. */
  rated(routeIds: readonly string[], feedback: Feedback): void {
    const evidence = evidenceOfFeedback(feedback);
    if (!evidence) return;
    for (const id of routeIds) this.store.rate(id, evidence.reward);
  }

  close(): void {
    clearInterval(this.timer);
    this.store.close();
  }

  private redactText(text: string, role: string, team: string | undefined): string {
    const ruled = this.rules ? this.rules(text) : text;
    return this.options.redact ? this.options.redact(ruled, { role, team }) : ruled;
  }

  /** Text, text parts and tool-call arguments are redacted; other parts (images) are kept. */
  private redactMessage(m: ExportedMessage | ChatMessage, team: string | undefined): ExportedMessage {
    const msg = { ...(m as ExportedMessage) };
    const role = msg.role;
    if (typeof msg.content === 'string') msg.content = this.redactText(msg.content, role, team);
    else if (Array.isArray(msg.content))
      msg.content = msg.content.map((part) =>
        part.type === 'text' && typeof part.text === 'string'
          ? { ...part, text: this.redactText(part.text, role, team) }
          : part,
      );
    else if (msg.content === undefined) msg.content = null;
    const calls = (msg as { tool_calls?: unknown }).tool_calls;
    if (Array.isArray(calls))
      (msg as { tool_calls?: unknown }).tool_calls = calls.map(
        (call: { function?: { arguments?: unknown } }) =>
          typeof call?.function?.arguments === 'string'
            ? {
                ...call,
                function: {
                  ...call.function,
                  arguments: this.redactText(call.function.arguments, role, team),
                },
              }
            : call,
      );
    return msg;
  }
}
