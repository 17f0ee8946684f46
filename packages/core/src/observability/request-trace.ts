import {
  type Attributes,
  type Context,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { NodeConfig } from '../config/schema.js';
import type { AgentContext } from '../context/agent-context.js';
import type { BrokeError } from '../errors.js';
import type { Candidate, RouteDecision } from '../routing/types.js';
import type { ServingBody } from '../serving/chat-body.js';
import type { WatchedAttempt } from '../serving/dispatch.js';
import { errorClass, type RequestEnd } from '../serving/request-observer.js';
import type { RequestWatcher } from '../serving/request-watcher.js';
import type { GatewayTracing } from './tracing.js';

/**
 * One chat request's spans: a SERVER span for the request (continuing the caller's W3C
 * `traceparent`), an INTERNAL span for the routing decision, and a CLIENT span per node attempt,
 * whose context goes to the node as its `traceparent`. Attributes follow the OpenTelemetry GenAI
 * semantic conventions (`gen_ai.*`) plus BROKE's own (`broke.*`). Made only when tracing is on.
 */

/** GenAI semantic convention names (incubating, hence copied here rather than imported). */
const GEN_AI = {
  operation: 'gen_ai.operation.name',
  /** Current name of the provider attribute... */
  provider: 'gen_ai.provider.name',
  /** ...and the one it replaced, still what many trace backends group by. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  maxTokens: 'gen_ai.request.max_tokens',
  temperature: 'gen_ai.request.temperature',
  topP: 'gen_ai.request.top_p',
  topK: 'gen_ai.request.top_k',
  frequencyPenalty: 'gen_ai.request.frequency_penalty',
  presencePenalty: 'gen_ai.request.presence_penalty',
  seed: 'gen_ai.request.seed',
  stop: 'gen_ai.request.stop_sequences',
  choices: 'gen_ai.request.choice.count',
  stream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  firstChunk: 'gen_ai.response.time_to_first_chunk',
  conversation: 'gen_ai.conversation.id',
} as const;

const propagator = new W3CTraceContextPropagator();

const fetchHeaders: TextMapGetter<Headers> = {
  keys: (h) => [...h.keys()],
  get: (h, key) => h.get(key) ?? undefined,
};

/** The caller's trace context (`traceparent`, `tracestate`), or the root when it sent none. */
export function callerContext(headers: Headers): Context {
  return propagator.extract(ROOT_CONTEXT, headers, fetchHeaders);
}

export class RequestTrace implements RequestWatcher {
  private server: Span | undefined;
  private serverContext: Context | undefined;
  /** The attempt that answered: ended with the request, carrying the usage. */
  private open: NodeAttempt | undefined;
  private attempts = 0;
  private routeId: string | undefined;

  constructor(
    private readonly tracing: GatewayTracing,
    private readonly headers: Headers,
    /** performance.now() when the request arrived: the server span's start. */
    private readonly t0: number,
    private readonly path: string,
    private readonly nodeConfig: (nodeId: string) => NodeConfig | undefined,
  ) {}

  /**
   * The request was read and routed between `r0` and `r1` (performance.now() times): opens the
   * server span (from t0) and records the decision span.
   */
  routed(body: ServingBody, ctx: AgentContext, decision: RouteDecision, r0: number, r1: number): void {
    const server = this.serverSpan(body.model);
    this.routeId = decision.routeId;
    server.setAttributes({
      ...requestAttributes(body),
      ...contextAttributes(ctx),
      ...decisionAttributes(decision),
    });
    const route = this.tracing.tracer.startSpan(
      'broke.route',
      {
        kind: SpanKind.INTERNAL,
        startTime: epochMs(r0),
        attributes: {
          ...decisionAttributes(decision),
          ...contextAttributes(ctx),
          ...analysisAttributes(decision),
        },
      },
      this.serverContext,
    );
    route.end(epochMs(r1));
  }

  /** A call to a node starts (dispatch.ts): its CLIENT span, and the headers that carry it on. */
  attempt(candidate: Candidate): WatchedAttempt {
    this.serverSpan();
    this.attempts += 1;
    const node = this.nodeConfig(candidate.nodeId);
    const attributes: Attributes = {
      [GEN_AI.operation]: 'chat',
      [GEN_AI.requestModel]: candidate.modelId,
      'broke.node': candidate.nodeId,
      'broke.attempt': this.attempts,
    };
    if (this.routeId !== undefined) attributes['broke.route_id'] = this.routeId;
    if (node) {
      attributes[GEN_AI.provider] = node.kind;
      attributes[GEN_AI.system] = node.kind;
      Object.assign(attributes, serverAddress(node.url));
    }
    const span = this.tracing.tracer.startSpan(
      `chat ${candidate.modelId}`,
      { kind: SpanKind.CLIENT, attributes, startTime: epochMs(performance.now()) },
      this.serverContext,
    );
    return new NodeAttempt(span, (a) => {
      this.open = a;
    });
  }

  /** The request ended (request-observer.ts's facts): ends the answering attempt and the server span. */
  end(end: RequestEnd): void {
    // Told after the answer is out (serving/after-answer.ts): the spans end when the request did.
    const endedAt = end.t0 + end.ms;
    const server = this.serverSpan();
    const usage: Attributes = {};
    if (end.promptTokens !== undefined) usage[GEN_AI.inputTokens] = end.promptTokens;
    if (end.tokens !== undefined) usage[GEN_AI.outputTokens] = end.tokens;
    const open = this.open;
    this.open = undefined;
    if (open && end.candidate) {
      open.span.setAttributes({ ...usage, [GEN_AI.responseModel]: end.candidate.modelId });
      if (end.stream && open.answeredMs !== undefined)
        open.span.setAttribute(GEN_AI.firstChunk, open.answeredMs / 1000);
      if (end.outcome === 'error') failSpan(open.span, end.error);
      open.span.end(epochMs(endedAt));
    }
    server.setAttributes({
      ...usage,
      'http.response.status_code': end.status,
      'broke.outcome': end.outcome,
      'broke.attempts': this.attempts,
    });
    if (end.candidate) {
      const node = this.nodeConfig(end.candidate.nodeId);
      server.setAttributes({
        [GEN_AI.responseModel]: end.candidate.modelId,
        // Where it was answered (after failover, not the node the decision chose).
        'broke.node': end.candidate.nodeId,
        'broke.model': end.candidate.modelId,
        ...(node ? { [GEN_AI.provider]: node.kind, [GEN_AI.system]: node.kind } : {}),
      });
    }
    if (end.outcome === 'error') failSpan(server, end.error);
    server.end(epochMs(endedAt));
  }

  /** The server span, opened from t0 on first use (a request that fails before routing has one too). */
  private serverSpan(model?: string): Span {
    if (this.server) return this.server;
    const attributes: Attributes = {
      [GEN_AI.operation]: 'chat',
      'http.request.method': 'POST',
      'url.path': this.path,
    };
    if (model !== undefined) attributes[GEN_AI.requestModel] = model;
    this.server = this.tracing.tracer.startSpan(
      model === undefined ? 'chat' : `chat ${model}`,
      { kind: SpanKind.SERVER, startTime: epochMs(this.t0), attributes },
      callerContext(this.headers),
    );
    this.serverContext = trace.setSpan(ROOT_CONTEXT, this.server);
    return this.server;
  }
}

/** One call to a node, as dispatch.ts sees it. */
class NodeAttempt implements WatchedAttempt {
  readonly headers: Record<string, string> = {};
  /** Milliseconds from the call to its first result (for streams: the first chunk). */
  answeredMs: number | undefined;
  private readonly started = performance.now();

  constructor(
    readonly span: Span,
    private readonly onAnswered: (attempt: NodeAttempt) => void,
  ) {
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), this.headers, defaultTextMapSetter);
  }

  answered(): void {
    this.answeredMs = performance.now() - this.started;
    // Ends with the request, when its usage is known.
    this.onAnswered(this);
  }

  failed(error: BrokeError): void {
    failSpan(this.span, error);
    this.span.end(epochMs(performance.now()));
  }
}

/** Error status and `error.type`; a client that left is recorded, not an error. */
function failSpan(span: Span, error: unknown): void {
  const type = errorClass(error);
  if (type === 'client_closed') {
    span.setAttribute('broke.outcome', 'client_closed');
    return;
  }
  span.setAttribute('error.type', type);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error ?? 'error'),
  });
}

function serverAddress(url: string): Attributes {
  try {
    const u = new URL(url);
    const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
    return { 'server.address': u.hostname.replace(/^\[|\]$/g, ''), 'server.port': port };
  } catch {
    return {};
  }
}

function requestAttributes(served: ServingBody): Attributes {
  // The sampling fields are the caller's, passed to the node unchanged: read loosely.
  const body = served as ServingBody & Record<string, unknown>;
  const out: Attributes = { [GEN_AI.stream]: body.stream === true };
  if (body.model !== undefined) out[GEN_AI.requestModel] = body.model;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (typeof maxTokens === 'number') out[GEN_AI.maxTokens] = maxTokens;
  const numbers: Array<[string, unknown]> = [
    [GEN_AI.temperature, body.temperature],
    [GEN_AI.topP, body.top_p],
    [GEN_AI.topK, body.top_k],
    [GEN_AI.frequencyPenalty, body.frequency_penalty],
    [GEN_AI.presencePenalty, body.presence_penalty],
    [GEN_AI.seed, body.seed],
  ];
  for (const [key, value] of numbers) if (typeof value === 'number') out[key] = value;
  if (typeof body.n === 'number' && body.n !== 1) out[GEN_AI.choices] = body.n;
  if (typeof body.stop === 'string') out[GEN_AI.stop] = [body.stop];
  else if (Array.isArray(body.stop)) out[GEN_AI.stop] = body.stop as string[];
  return out;
}

function contextAttributes(ctx: AgentContext): Attributes {
  const out: Attributes = {};
  if (ctx.role) out['broke.role'] = ctx.role;
  if (ctx.team) out['broke.team'] = ctx.team;
  if (ctx.sessionId) {
    out['broke.session'] = ctx.sessionId;
    out[GEN_AI.conversation] = ctx.sessionId;
  }
  if (ctx.framework) out['broke.framework'] = ctx.framework;
  return out;
}

/** What the router chose, and why in numbers: the chosen candidate's objective value. */
function decisionAttributes(decision: RouteDecision): Attributes {
  const { explanation } = decision;
  const out: Attributes = {
    'broke.route_id': decision.routeId,
    [GEN_AI.responseId]: decision.routeId,
    'broke.node': decision.nodeId,
    'broke.model': decision.modelId,
    'broke.explored': explanation.explored,
    'broke.profile': explanation.profile,
  };
  const chosen = explanation.ranked.find(
    (c) => c.nodeId === decision.nodeId && c.modelId === decision.modelId,
  );
  if (chosen) out['broke.chosen_score'] = chosen.total;
  return out;
}

function analysisAttributes(decision: RouteDecision): Attributes {
  const { explanation } = decision;
  const out: Attributes = {
    'broke.candidates': explanation.candidates,
    'broke.ranked': explanation.ranked.length,
    'broke.task_type': explanation.analysis.taskType,
    'broke.complexity': explanation.analysis.complexity,
    'broke.fallbacks': decision.fallbacks.length,
  };
  const chosen = explanation.ranked.find(
    (c) => c.nodeId === decision.nodeId && c.modelId === decision.modelId,
  );
  if (chosen) {
    out['broke.chosen_quality'] = chosen.quality;
    out['broke.chosen_time_ms'] = chosen.timeMs;
  }
  const runnerUp = explanation.ranked.find((c) => c !== chosen);
  if (runnerUp) out['broke.runner_up_score'] = runnerUp.total;
  return out;
}

/**
 * A performance.now() time as epoch milliseconds, which the SDK converts the same way for every
 * span. (A performance.now() number it converts with an offset taken per span from Date.now(),
 * so two spans' times could disagree by up to a millisecond on their order; its own clock too.)
 */
function epochMs(perfMs: number): number {
  return performance.timeOrigin + perfMs;
}
