import type { BrokeConfig } from '../config/schema.js';
import type { AgentContext, Framework } from '../context/agent-context.js';
import type { BrokeError } from '../errors.js';
import { RequestTrace } from '../observability/request-trace.js';
import type { GatewayTracing } from '../observability/tracing.js';
import type { Candidate, RouteDecision } from '../routing/types.js';
import type { RelaySink } from '../serving/relay-sink.js';
import { endRequest } from '../serving/request-watcher.js';
import { type ServingDeps, serveChat } from '../serving/serve-chat.js';
import type { ChatExchange, ChatHandler } from './chat-exchange.js';
import { openAIErrorBody } from './openai-error.js';
import { type ContextExtractor, requestAgentContext } from './request-context.js';
import { parseChatBody, parseJsonBody } from './schemas.js';
import type { SseSink } from './sse-sink.js';

export interface ChatDeps extends ServingDeps {
  config: BrokeConfig;
  extractor?: ContextExtractor;
  framework?: Framework;
  /** OpenTelemetry spans per request (observability/request-trace.ts); undefined: tracing off. */
  tracing?: GatewayTracing;
}

function brokeHeaders(x: ChatExchange, decision: RouteDecision, candidate?: Candidate): void {
  x.header('x-broke-route-id', decision.routeId);
  if (candidate) {
    x.header('x-broke-node', candidate.nodeId);
    x.header('x-broke-model', candidate.modelId);
    const temperature = decision.explanation.temperature;
    if (temperature) x.header('x-broke-quality-temperature', temperature);
  }
}

/**
 * POST /v1/chat/completions: HTTP only. The body is read and parsed, the agent context taken from
 * headers and metadata, and serving/ does the rest (route, dispatch, relay, record); this file
 * frames what it returns as JSON or SSE and throws its errors for the caller to answer as OpenAI
 * errors (chat-lane.ts, app.ts's onError). The exchange (chat-exchange.ts) is the transport.
 */
export function chatCompletions(deps: ChatDeps): ChatHandler {
  const contextOptions = {
    ...(deps.config.defaultContext ? { defaults: deps.config.defaultContext } : {}),
    ...(deps.extractor ? { extractor: deps.extractor } : {}),
    ...(deps.framework ? { framework: deps.framework } : {}),
  };
  return async (x: ChatExchange): Promise<void> => {
    const t0 = performance.now();
    const owner = x.client;
    const trace = deps.tracing
      ? new RequestTrace(deps.tracing, x.webHeaders(), t0, x.path, deps.nodeConfig)
      : undefined;
    let stream = false;
    let ctx: AgentContext | undefined;
    let body: ReturnType<typeof parseChatBody>;
    try {
      body = parseChatBody(parseJsonBody(await x.bodyText()));
      stream = body.stream === true;
      ctx = requestAgentContext(
        body,
        x.headers,
        deps.extractor ? { ...contextOptions, extractorHeaders: () => x.webHeaders() } : contextOptions,
      );
    } catch (error) {
      endRequest(deps, trace, {
        t0,
        stream,
        ...(ctx ? { ctx } : {}),
        ...(owner !== undefined ? { client: owner } : {}),
        outcome: 'error',
        error,
      });
      throw error;
    }
    const served = await serveChat(deps, {
      body,
      ctx,
      client: x.link(),
      t0,
      owner,
      watcher: trace,
    });
    if (!served.ok) {
      // An error answer still names the route.
      if (served.decision) brokeHeaders(x, served.decision);
      throw served.error;
    }
    if (!served.stream) {
      brokeHeaders(x, served.decision, served.candidate);
      x.json(200, served.text);
      return;
    }
    const { decision, candidate } = served;
    const headers: Record<string, string> = {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      'x-broke-route-id': decision.routeId,
      'x-broke-node': candidate.nodeId,
      'x-broke-model': candidate.modelId,
    };
    // Read after dispatch: a fallback before the first chunk already made it warmer.
    const temperature = decision.explanation.temperature;
    if (temperature) headers['x-broke-quality-temperature'] = temperature;
    x.sse(headers, (s) => served.relay(new SseRelaySink(s)));
  };
}

/** Serving's relay framed as SSE: `data: <payload>` events, `[DONE]` at the end, errors as events. */
class SseRelaySink implements RelaySink {
  private out = '';

  constructor(private readonly s: SseSink) {}

  get aborted(): boolean {
    return this.s.aborted;
  }

  onAbort(listener: () => void): void {
    this.s.onAbort(listener);
  }

  push(payload: string): void {
    this.out += `data: ${payload}\n\n`;
  }

  flush(): Promise<void> | undefined {
    if (this.out === '') return undefined;
    const out = this.out;
    this.out = '';
    return this.s.write(out);
  }

  end(): Promise<void> {
    const out = this.out;
    this.out = '';
    return this.s.end(`${out}data: [DONE]\n\n`);
  }

  async fail(error: BrokeError): Promise<void> {
    await this.s.write(
      `data: ${JSON.stringify(openAIErrorBody(error.status, error.message, error.code))}\n\n`,
    );
  }
}
